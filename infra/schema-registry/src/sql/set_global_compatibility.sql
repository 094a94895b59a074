UPDATE schema_registry_global_config SET compatibility = $1
