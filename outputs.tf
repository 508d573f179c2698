output "user_pool_id" {
  description = "ID of the user pool."
  value       = module.user_pool.id
}

output "user_pool_arn" {
  description = "ARN of the user pool."
  value       = module.user_pool.arn
}

output "issuer_url" {
  description = "OIDC issuer of the pool's tokens (the iss claim); append /.well-known/openid-configuration for discovery."
  value       = "https://${module.user_pool.endpoint}"
}

output "domain" {
  description = "Hosted sign-in domain (prefix or custom domain), or null."
  value       = module.user_pool.domain
}

output "custom_domain_cloudfront_distribution" {
  description = "For a custom domain: the CloudFront distribution its DNS alias must point at; null otherwise."
  value       = module.user_pool.cloudfront_distribution
}

output "client_ids" {
  description = "App client IDs keyed by client name."
  value       = module.app_clients.client_ids
}

output "client_secrets" {
  description = "App client secrets keyed by client name, for clients with generate_secret."
  value       = module.app_clients.client_secrets
  sensitive   = true
}

output "identity_provider_names" {
  description = "ProviderNames as created, keyed by the identity_providers keys."
  value       = module.identity_providers.provider_names
}

output "attribute_mappings" {
  description = "The attribute mapping each identity provider got (defaults merged with yours)."
  value       = module.identity_providers.attribute_mappings
}

output "pre_signup_function_arn" {
  description = "ARN of the pre sign-up trigger function."
  value       = module.triggers.pre_signup_function_arn
}

output "pre_token_generation_function_arn" {
  description = "ARN of the pre token generation trigger function."
  value       = module.triggers.pre_token_generation_function_arn
}

output "trigger_role_arns" {
  description = "Execution role ARNs of the triggers, keyed by trigger."
  value       = module.triggers.role_arns
}

output "trigger_log_group_names" {
  description = "Log group names of the triggers, keyed by trigger."
  value       = module.triggers.log_group_names
}

output "trigger_environment" {
  description = "Configuration the triggers receive; IDENTITY_PROVIDERS holds the linking settings per provider (LINKING_SECRET, also set, is left out)."
  value       = module.triggers.environment
}

output "confirmed_linking_url" {
  description = "Base URL of the confirmed-linking endpoint (POST /link, POST /unlink, GET /identities), or null when confirmed_linking is not enabled."
  value       = module.triggers.confirmed_linking_url
}
