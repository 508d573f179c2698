# Cognito federation that lands every sign-in on one user.
#
#   identity_providers ──► federation_config ──► mappings, schema, client attributes,
#                                    │            trigger configuration
#   user_pool ◄── triggers (pre sign-up links identities; pre token keeps email verified)
#       │
#       ├──► identity_providers (one per ProviderName)
#       └──► app_clients (created after the providers they list)

module "federation_config" {
  source = "./modules/federation-config"

  case_sensitive     = var.case_sensitive
  identity_providers = var.identity_providers
}

module "user_pool" {
  source = "./modules/user-pool"

  name                            = var.name
  case_sensitive                  = var.case_sensitive
  user_pool_tier                  = var.user_pool_tier
  deletion_protection             = var.deletion_protection
  custom_attributes               = module.federation_config.custom_attributes
  pre_sign_up_lambda_arn          = module.triggers.pre_signup_function_arn
  pre_token_generation_lambda_arn = module.triggers.pre_token_generation_function_arn
  pre_token_generation_version    = var.pre_token_generation_version
  domain                          = var.domain
  tags                            = var.tags
}

module "triggers" {
  source = "./modules/triggers"

  name               = var.name
  user_pool_arn      = module.user_pool.arn
  case_sensitive     = var.case_sensitive
  identity_providers = module.federation_config.trigger_identity_providers
  runtime            = var.triggers.runtime
  architecture       = var.triggers.architecture
  memory_size        = var.triggers.memory_size
  timeout_seconds    = var.triggers.timeout_seconds
  log_retention_days = var.triggers.log_retention_days
  kms_key_arn        = var.triggers.kms_key_arn
  tracing_mode       = var.triggers.tracing_mode
  alarm_actions      = var.triggers.alarm_actions
  profile_table      = var.triggers.profile_table
  tags               = var.tags
}

module "identity_providers" {
  source = "./modules/identity-providers"

  user_pool_id = module.user_pool.id
  identity_providers = {
    for name, idp in var.identity_providers : name => {
      type              = idp.type
      provider_details  = local.provider_details[name]
      attribute_mapping = module.federation_config.attribute_mappings[name]
      idp_identifiers   = idp.idp_identifiers
    }
  }
  secrets = var.identity_provider_secrets
}

module "app_clients" {
  source = "./modules/app-clients"

  user_pool_id = module.user_pool.id
  app_clients = {
    for name, client in var.app_clients : name => {
      callback_urls = client.callback_urls
      logout_urls   = client.logout_urls
      # Names come from the created providers, so clients wait for them.
      supported_identity_providers = coalesce(
        client.identity_providers,
        concat(["COGNITO"], values(module.identity_providers.provider_names)),
      )
      allowed_oauth_flows           = client.allowed_oauth_flows
      allowed_oauth_scopes          = client.allowed_oauth_scopes
      explicit_auth_flows           = client.explicit_auth_flows
      generate_secret               = client.generate_secret
      read_attributes               = client.read_attributes
      write_attributes              = sort(distinct(concat(module.federation_config.client_write_attributes, client.write_attributes)))
      access_token_validity_minutes = client.access_token_validity_minutes
      id_token_validity_minutes     = client.id_token_validity_minutes
      refresh_token_validity_days   = client.refresh_token_validity_days
    }
  }

  depends_on = [module.identity_providers]
}

locals {
  # Non-secret provider_details per type; secrets are merged in the submodule.
  provider_details = {
    for name, idp in var.identity_providers : name => merge(
      contains(["Google", "Facebook", "LoginWithAmazon", "SignInWithApple", "OIDC"], idp.type) ? {
        client_id        = idp.client_id
        authorize_scopes = coalesce(idp.authorize_scopes, lookup(local.default_scopes, idp.type, "openid email profile"))
      } : {},
      idp.type == "OIDC" ? {
        oidc_issuer               = idp.oidc_issuer
        attributes_request_method = idp.attributes_request_method
      } : {},
      idp.type == "SignInWithApple" ? {
        team_id = idp.team_id
        key_id  = idp.key_id
      } : {},
      lookup(local.cognito_added_details, idp.type, {}),
      idp.type == "SAML" ? (
        idp.saml_metadata_url != null ? { MetadataURL = idp.saml_metadata_url } : { MetadataFile = idp.saml_metadata_document }
      ) : {},
      idp.provider_details,
    )
  }

  # Keys Cognito adds to provider_details on its own, with the values it stores:
  # stating them keeps plans free of a perpetual diff (CreateIdentityProvider API
  # reference, "Describe response"; terraform-provider-aws #42157) without an
  # ignore_changes that would also hide secret rotation. OIDC endpoints are
  # discovered per issuer and SAML ones come from the metadata: pin those through
  # provider_details if your plans show them.
  cognito_added_details = {
    Google = {
      attributes_url                = "https://people.googleapis.com/v1/people/me?personFields="
      attributes_url_add_attributes = "true"
      authorize_url                 = "https://accounts.google.com/o/oauth2/v2/auth"
      oidc_issuer                   = "https://accounts.google.com"
      token_request_method          = "POST"
      token_url                     = "https://www.googleapis.com/oauth2/v4/token"
    }
    LoginWithAmazon = {
      attributes_url                = "https://api.amazon.com/user/profile"
      attributes_url_add_attributes = "false"
      authorize_url                 = "https://www.amazon.com/ap/oa"
      token_request_method          = "POST"
      token_url                     = "https://api.amazon.com/auth/o2/token"
    }
    SignInWithApple = {
      attributes_url_add_attributes = "false"
      authorize_url                 = "https://appleid.apple.com/auth/authorize"
      oidc_issuer                   = "https://appleid.apple.com"
      token_request_method          = "POST"
      token_url                     = "https://appleid.apple.com/auth/token"
    }
  }

  default_scopes = {
    Google          = "openid email profile"
    Facebook        = "public_profile,email"
    LoginWithAmazon = "profile"
    SignInWithApple = "email name"
    OIDC            = "openid email profile"
  }
}
