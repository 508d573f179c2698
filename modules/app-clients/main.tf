locals {
  # Every standard attribute a client can be allowed to write: the standard set less those
  # no client may list and those Cognito sets itself (lambda_src/cognito_facts.json, the one
  # table of Cognito facts). Federated sign-in writes every mapped attribute through the
  # client, so each one must be writable or sign-in fails (FACTS.md §4). Granting the whole
  # standard set is what a client without write_attributes gets; listing it is needed because
  # custom attributes must be named explicitly.
  facts = jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json"))
  standard_writable_attributes = sort(setsubtract(
    local.facts.standard_attributes,
    concat(local.facts.never_client_writable, local.facts.cognito_owned_attributes),
  ))
}

resource "aws_cognito_user_pool_client" "this" {
  for_each = var.app_clients

  name         = each.key
  user_pool_id = var.user_pool_id

  supported_identity_providers         = coalesce(each.value.identity_providers, concat(["COGNITO"], var.identity_provider_ids))
  callback_urls                        = each.value.callback_urls
  logout_urls                          = each.value.logout_urls
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = each.value.allowed_oauth_flows
  allowed_oauth_scopes                 = each.value.allowed_oauth_scopes
  explicit_auth_flows                  = each.value.explicit_auth_flows
  generate_secret                      = each.value.generate_secret

  read_attributes  = each.value.read_attributes
  write_attributes = sort(distinct(concat(local.standard_writable_attributes, formatlist("custom:%s", var.custom_attributes), each.value.write_attributes)))

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
