output "client_ids" {
  description = "App client IDs keyed by client name."
  value       = { for name, client in aws_cognito_user_pool_client.this : name => client.id }
}

output "client_secrets" {
  description = "App client secrets keyed by client name (clients with generate_secret only)."
  value       = { for name, client in aws_cognito_user_pool_client.this : name => client.client_secret if var.app_clients[name].generate_secret }
  sensitive   = true
}

output "clients" {
  description = "The app client resources keyed by name (sensitive: they hold client secrets)."
  value       = aws_cognito_user_pool_client.this
  sensitive   = true
}
