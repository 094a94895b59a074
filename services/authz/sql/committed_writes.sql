SELECT count(*) FROM events WHERE aggregate_type IN ('authz.role', 'authz.binding')
