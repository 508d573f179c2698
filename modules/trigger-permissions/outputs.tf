output "role_policies" {
  description = "The execution role policies keyed by trigger (JSON documents)."
  value       = { for key, policy in aws_iam_role_policy.this : key => policy.policy }
}

output "permissions" {
  description = "The Lambda permissions that let the pool invoke the triggers, keyed by trigger."
  value       = aws_lambda_permission.cognito
}
