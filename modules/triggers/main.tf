# The triggers for a pool you manage yourself: the functions, then (given the pool's
# ARN) the permissions that tie them to that pool. Wire the function ARNs into the
# pool's lambda_config. The root module uses the two parts directly, so that its own
# pool sits between them.

module "functions" {
  source = "../trigger-functions"

  name               = var.name
  case_sensitive     = var.case_sensitive
  identity_providers = var.identity_providers
  source_dir         = var.source_dir
  runtime            = var.runtime
  architecture       = var.architecture
  memory_size        = var.memory_size
  timeout_seconds    = var.timeout_seconds
  log_retention_days = var.log_retention_days
  kms_key_arn        = var.kms_key_arn
  tracing_mode       = var.tracing_mode
  alarm_actions      = var.alarm_actions
  profile_table      = var.profile_table
  tags               = var.tags
}

module "permissions" {
  source = "../trigger-permissions"

  user_pool_arn      = var.user_pool_arn
  functions          = module.functions.functions
  profile_table_name = module.functions.profile_table_name
  tracing_mode       = var.tracing_mode
}
