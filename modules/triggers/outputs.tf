output "pre_signup_function_arn" {
  description = "ARN of the pre sign-up trigger: the pool's lambda_config.pre_sign_up."
  value       = aws_lambda_function.this["pre-signup"].arn
}

output "pre_token_generation_function_arn" {
  description = "ARN of the pre token generation trigger: the pool's lambda_config.pre_token_generation_config.lambda_arn."
  value       = aws_lambda_function.this["pre-token-generation"].arn
}

output "function_resources" {
  description = "The trigger function resources keyed by trigger (sensitive: their environment holds LINKING_SECRET)."
  value       = aws_lambda_function.this
  sensitive   = true
}

output "role_arns" {
  description = "Execution role ARNs keyed by trigger (pre-signup, pre-token-generation)."
  value       = { for key, role in aws_iam_role.this : key => role.arn }
}

output "log_group_names" {
  description = "Log group names keyed by trigger."
  value       = { for key, group in aws_cloudwatch_log_group.this : key => group.name }
}

output "profile_table_name" {
  description = "Name of the profile table the pre sign-up trigger writes, or null."
  value       = local.profile_table_name
}

output "profile_table_created" {
  description = "Whether this module created the profile table."
  value       = length(aws_dynamodb_table.profiles) > 0
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms on trigger errors and throttles."
  value       = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]
}

output "environment" {
  description = "The configuration the trigger functions receive: IDENTITY_PROVIDERS, USERNAME_CASE_SENSITIVE and, with a profile store, PROFILE_TABLE_NAME (LINKING_SECRET, also set, is left out)."
  value       = local.environment
}

output "role_policies" {
  description = "The execution role policies keyed by trigger (JSON documents)."
  value       = { for key, policy in aws_iam_role_policy.this : key => policy.policy }
}

output "permissions" {
  description = "The Lambda permissions that let the pool invoke the triggers, keyed by trigger."
  value       = aws_lambda_permission.cognito
}

output "confirmed_linking_url" {
  description = "Base URL of the confirmed-linking endpoint (POST /link, POST /unlink, GET /identities), or null when it is not enabled."
  value       = var.confirmed_linking.enabled ? aws_apigatewayv2_stage.confirmed_linking["confirmed-linking"].invoke_url : null
}

output "confirmed_linking_function_arn" {
  description = "ARN of the confirmed-linking function, or null when it is not enabled."
  value       = var.confirmed_linking.enabled ? aws_lambda_function.confirmed_linking["confirmed-linking"].arn : null
}
