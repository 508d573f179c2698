resource "aws_cognito_user_pool_client" "this" {
  for_each = var.app_clients

  name         = each.key
  user_pool_id = var.user_pool_id

  supported_identity_providers         = each.value.supported_identity_providers
  callback_urls                        = each.value.callback_urls
  logout_urls                          = each.value.logout_urls
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = each.value.allowed_oauth_flows
  allowed_oauth_scopes                 = each.value.allowed_oauth_scopes
  explicit_auth_flows                  = each.value.explicit_auth_flows
  generate_secret                      = each.value.generate_secret

  # Federated sign-in writes every mapped attribute through the client, so each one
  # must be writable or sign-in fails (FACTS.md §4).
  read_attributes  = each.value.read_attributes
  write_attributes = each.value.write_attributes

  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true
  access_token_validity         = each.value.access_token_validity_minutes
  id_token_validity             = each.value.id_token_validity_minutes
  refresh_token_validity        = each.value.refresh_token_validity_days

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}
