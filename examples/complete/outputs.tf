output "user_pool_id" {
  description = "ID of the user pool."
  value       = module.cognito_federation.user_pool_id
}

output "issuer_url" {
  description = "Issuer of the pool's tokens."
  value       = module.cognito_federation.issuer_url
}

output "web_client_id" {
  description = "ID of the web app client."
  value       = module.cognito_federation.client_ids["web"]
}

output "hosted_sign_in_domain" {
  description = "Prefix of the hosted sign-in domain."
  value       = module.cognito_federation.domain
}

output "attribute_mappings" {
  description = "What each identity provider maps."
  value       = module.cognito_federation.attribute_mappings
}

output "confirmed_linking_url" {
  description = "Base URL of the confirmed-linking endpoint."
  value       = module.cognito_federation.confirmed_linking_url
}
