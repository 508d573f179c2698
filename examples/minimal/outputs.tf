output "user_pool_id" {
  description = "ID of the user pool."
  value       = module.cognito_federation.user_pool_id
}

output "web_client_id" {
  description = "ID of the web app client."
  value       = module.cognito_federation.client_ids["web"]
}
