SELECT aggregate_id FROM unique_claims WHERE scope = $1 AND claim_key = $2
