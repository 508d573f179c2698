output "pre_signup_function_arn" {
  description = "ARN of the pre sign-up trigger: the pool's lambda_config.pre_sign_up."
  value       = module.functions.pre_signup_function_arn
}

output "pre_token_generation_function_arn" {
  description = "ARN of the pre token generation trigger: the pool's lambda_config.pre_token_generation_config.lambda_arn."
  value       = module.functions.pre_token_generation_function_arn
}

output "role_arns" {
  description = "Execution role ARNs keyed by trigger (pre-signup, pre-token-generation)."
  value       = module.functions.role_arns
}

output "log_group_names" {
  description = "Log group names keyed by trigger."
  value       = module.functions.log_group_names
}

output "profile_table_name" {
  description = "Name of the profile table the pre sign-up trigger writes, or null."
  value       = module.functions.profile_table_name
}

output "environment" {
  description = "The configuration the trigger functions receive: IDENTITY_PROVIDERS, USERNAME_CASE_SENSITIVE and, with a profile store, PROFILE_TABLE_NAME (LINKING_SECRET, also set, is left out)."
  value       = module.functions.environment
}

output "role_policies" {
  description = "The execution role policies keyed by trigger (JSON documents)."
  value       = module.permissions.role_policies
}

output "permissions" {
  description = "The Lambda permissions that let the pool invoke the triggers, keyed by trigger."
  value       = module.permissions.permissions
}
