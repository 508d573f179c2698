# Cognito federation that lands every sign-in on one user.
#
#   triggers ◄──► user_pool       (the pool's lambda_config names the functions; each
#   (pre sign-up links,  │        function may call, and be invoked by, this pool only)
#    pre token keeps     │
#    email verified)     │
#       ├──► identity_providers (one per ProviderName; default mappings per type, the
#       │    exact-case subject copied into custom:idp_sub in a case-insensitive pool,
#       │    Google's hosted domain into custom:google_hd)
#       └──► app_clients (created after the providers they list, allowed to write
#            every attribute the providers map)

module "triggers" {
  source = "./modules/triggers"

  name           = var.name
  user_pool_arn  = module.user_pool.arn
  case_sensitive = var.case_sensitive
  # CONTRACT.md §1: the same identity_providers value the pool was built from.
  identity_providers = {
    for name, idp in var.identity_providers : name => {
      type              = idp.type
      link_by_email     = idp.link_by_email
      email_trust       = idp.email_trust
      email_domains     = idp.email_domains == null ? null : [for d in idp.email_domains : lower(d)]
      subject_attribute = contains(keys(merge(local.subject_mappings[idp.type], idp.attribute_mapping)), "custom:idp_sub") ? "custom:idp_sub" : null
      untrusted_sign_in = idp.untrusted_sign_in
    }
  }
  confirmed_linking = {
    enabled = var.confirmed_linking.enabled
    app_client_ids = [
      for name, id in module.app_clients.client_ids : id
      if contains(coalesce(var.confirmed_linking.app_clients, keys(var.app_clients)), name)
    ]
    allowed_origins                = var.confirmed_linking.allowed_origins
    federated_user_max_age_seconds = var.confirmed_linking.federated_user_max_age_seconds
    throttling_burst_limit         = var.confirmed_linking.throttling_burst_limit
    throttling_rate_limit          = var.confirmed_linking.throttling_rate_limit
  }
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

module "user_pool" {
  source = "./modules/user-pool"

  name                            = var.name
  case_sensitive                  = var.case_sensitive
  user_pool_tier                  = var.user_pool_tier
  deletion_protection             = var.deletion_protection
  custom_attributes               = local.custom_attributes
  pre_sign_up_lambda_arn          = module.triggers.pre_signup_function_arn
  pre_token_generation_lambda_arn = module.triggers.pre_token_generation_function_arn
  pre_token_generation_version    = var.pre_token_generation_version
  domain                          = var.domain
  tags                            = var.tags
}

module "identity_providers" {
  source = "./modules/identity-providers"

  user_pool_id       = module.user_pool.id
  subject_mappings   = local.subject_mappings
  identity_providers = var.identity_providers
  provider_details   = local.provider_details
  secrets            = var.identity_provider_secrets
}

module "app_clients" {
  source = "./modules/app-clients"

  user_pool_id          = module.user_pool.id
  app_clients           = var.app_clients
  custom_attributes     = local.custom_attributes
  identity_provider_ids = keys(var.identity_providers)

  # A client may only list providers that exist.
  depends_on = [module.identity_providers]
}

locals {
  # The one table of Cognito facts: provider types, subject claims, standard attributes.
  facts = jsondecode(file("${path.module}/lambda_src/cognito_facts.json"))

  # In a case-insensitive pool the trigger sees the subject lower-cased while Cognito
  # links by the exact one, so the exact-case subject is copied into custom:idp_sub for
  # the trigger to link with (FACTS.md §3). Google and Facebook subjects are digits and
  # need no copy. SAML has no default: the NameID is not an assertion attribute, so the
  # caller maps the attribute carrying its value (a validation requires it).
  copied_subject_claims = {
    for type, fact in local.facts.provider_types : type => fact.subject_case_safe ? [] : compact([fact.subject_claim])
  }
  subject_copy_mappings = {
    for type, claims in local.copied_subject_claims : type => { for claim in claims : "custom:idp_sub" => claim }
  }
  no_subject_mappings = { for type in keys(local.facts.provider_types) : type => tomap({}) }
  subject_mappings    = var.case_sensitive ? local.no_subject_mappings : local.subject_copy_mappings

  # Where a type's hosted-domain claim lands (Google's hd, which the identity providers map
  # by default and the pre sign-up trigger reads, FACTS.md §20), without the custom: prefix.
  # Declared in every pool, Google or not: Cognito never removes a custom attribute, so the
  # AWS provider fails an apply that drops one, as removing the last Google provider would
  # if the declaration followed the providers. Adding it to an existing pool is an in-place
  # AddCustomAttributes.
  hosted_domain_attributes = distinct([
    for fact in values(local.facts.provider_types) :
    trimprefix(fact.hosted_domain.attribute, "custom:") if fact.hosted_domain != null
  ])

  # The custom attributes the schema declares and every app client may write: idp_sub in a
  # case-insensitive pool, the hosted-domain attributes, and the caller's own.
  custom_attributes = concat(var.case_sensitive ? [] : ["idp_sub"], local.hosted_domain_attributes, var.custom_attributes)

  # Non-secret provider_details per type; secrets are merged in the submodule.
  provider_details = {
    for name, idp in var.identity_providers : name => merge(
      idp.type != "SAML" ? {
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

# Earlier revisions split the triggers into two module calls, trigger_functions and
# trigger_permissions, which modules/triggers called as functions and permissions; these
# blocks and modules/triggers/moved.tf carry existing state over, so upgrading re-creates
# nothing (above all not linking_secret, which the usernames of users the triggers created
# derive from).
moved {
  from = module.trigger_functions
  to   = module.triggers.module.functions
}

moved {
  from = module.trigger_permissions
  to   = module.triggers.module.permissions
}
