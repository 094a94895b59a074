UPDATE scheduler_recurring SET next_run_at = $2 WHERE name = $1
