# Plans of the root module with mocked providers (the offline schema provider serves
# the documented names): what the module builds from one identity_providers value.

mock_provider "aws" {
  # The pool's computed values are known at plan time, so plans can be asserted on.
  override_during = plan

  mock_resource "aws_cognito_user_pool" {
    defaults = {
      arn      = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Example1"
      id       = "eu-west-1_Example1"
      endpoint = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example1"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/cogfed-test"
    }
  }
}

mock_provider "archive" {}

variables {
  name           = "cogfed-test"
  case_sensitive = false
  identity_providers = {
    Google = {
      type      = "Google"
      client_id = "google-client"
    }
    LinkedIn = {
      type        = "OIDC"
      client_id   = "linkedin-client"
      oidc_issuer = "https://www.linkedin.com/oauth"
    }
    Corporate = {
      type              = "SAML"
      saml_metadata_url = "https://idp.example.com/metadata"
      attribute_mapping = { "custom:idp_sub" = "objectid" }
      email_trust       = "always"
      email_domains     = ["Example.com"]
    }
  }
  identity_provider_secrets = {
    Google   = { client_secret = "g-secret" }
    LinkedIn = { client_secret = "l-secret" }
  }
  app_clients = {
    web = {
      callback_urls    = ["https://app.example.com/callback"]
      write_attributes = ["locale"]
    }
  }
}

run "case_insensitive_pool_maps_mixed_case_subjects" {
  command = plan

  assert {
    condition     = module.user_pool.user_pool.username_configuration[0].case_sensitive == false
    error_message = "The pool must carry case_sensitive as given."
  }

  assert {
    condition     = output.attribute_mappings["LinkedIn"]["custom:idp_sub"] == "sub"
    error_message = "An OIDC provider in a case-insensitive pool must map sub into custom:idp_sub."
  }

  assert {
    condition     = output.attribute_mappings["Corporate"]["custom:idp_sub"] == "objectid"
    error_message = "A SAML provider keeps the subject mapping it was given."
  }

  assert {
    condition     = !contains(keys(output.attribute_mappings["Google"]), "custom:idp_sub")
    error_message = "Google subjects are digits (FACTS.md §3): no subject mapping."
  }

  assert {
    condition = alltrue([for name in ["Google", "LinkedIn", "Corporate"] :
    output.attribute_mappings[name]["email"] != ""])
    error_message = "Every provider must map email."
  }

  assert {
    condition = (output.attribute_mappings["Google"]["email_verified"] == "email_verified"
    && output.attribute_mappings["LinkedIn"]["email_verified"] == "email_verified")
    error_message = "Google and OIDC providers must map email_verified (FACTS.md §4)."
  }

  assert {
    condition     = one([for s in module.user_pool.user_pool.schema : s if s.name == "idp_sub"]).mutable == true
    error_message = "The schema must declare idp_sub as a mutable attribute."
  }

  assert {
    condition     = module.user_pool.user_pool.deletion_protection == "ACTIVE"
    error_message = "Deletion protection must be on by default."
  }

  assert {
    condition     = module.user_pool.user_pool.user_attribute_update_settings[0].attributes_require_verification_before_update == toset(["email"])
    error_message = "A changed email must stay unverified until confirmed (FACTS.md §8)."
  }
}

run "google_hosted_domain_is_mapped_declared_and_writable" {
  command = plan

  assert {
    condition     = output.attribute_mappings["Google"]["custom:google_hd"] == "hd"
    error_message = "Google's hd claim must be mapped into custom:google_hd (FACTS.md §20)."
  }

  assert {
    condition = alltrue([for name in ["LinkedIn", "Corporate"] :
    !contains(keys(output.attribute_mappings[name]), "custom:google_hd")])
    error_message = "Only Google providers map the hosted domain."
  }

  assert {
    condition = [for s in module.user_pool.user_pool.schema : {
      type = s.attribute_data_type, mutable = s.mutable, required = s.required
      max  = s.string_attribute_constraints[0].max_length
    } if s.name == "google_hd"] == [{ type = "String", mutable = true, required = false, max = "2048" }]
    error_message = "The schema must declare google_hd as idp_sub is: a mutable String of 2,048 characters."
  }

  assert {
    condition     = contains(module.app_clients.clients["web"].write_attributes, "custom:google_hd")
    error_message = "Every client must be allowed to write custom:google_hd, or Google sign-ins fail."
  }
}

run "pool_without_google_still_declares_the_hosted_domain" {
  command = plan

  variables {
    case_sensitive = true
    identity_providers = {
      LinkedIn = {
        type        = "OIDC"
        client_id   = "linkedin-client"
        oidc_issuer = "https://www.linkedin.com/oauth"
      }
    }
    identity_provider_secrets = {
      LinkedIn = { client_secret = "l-secret" }
    }
  }

  # Declared in every pool: Cognito never removes a custom attribute, so a declaration that
  # followed the providers would make removing the last Google provider fail at apply.
  assert {
    condition     = contains([for s in module.user_pool.user_pool.schema : s.name], "google_hd")
    error_message = "google_hd must be declared whether or not a Google provider is configured."
  }

  assert {
    condition     = !contains(keys(output.attribute_mappings["LinkedIn"]), "custom:google_hd")
    error_message = "Only Google maps its hosted domain."
  }
}

run "entra_maps_email_verified_from_xms_edov" {
  command = plan

  variables {
    case_sensitive = true
    identity_providers = {
      Entra = {
        type        = "OIDC"
        client_id   = "entra-client"
        oidc_issuer = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"
      }
      EntraV1 = {
        type             = "OIDC"
        client_id        = "entra-v1-client"
        oidc_issuer      = "https://www.example.com/placeholder"
        provider_details = { oidc_issuer = "https://sts.windows.net/00000000-0000-0000-0000-000000000000/" }
      }
      EntraGov = {
        type        = "OIDC"
        client_id   = "entra-gov-client"
        oidc_issuer = "https://login.microsoftonline.us/22222222-2222-2222-2222-222222222222/v2.0"
      }
      EntraChina = {
        type        = "OIDC"
        client_id   = "entra-china-client"
        oidc_issuer = "https://login.chinacloudapi.cn/33333333-3333-3333-3333-333333333333/v2.0"
      }
      EntraOwnClaim = {
        type              = "OIDC"
        client_id         = "entra-own-client"
        oidc_issuer       = "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0"
        attribute_mapping = { email_verified = "email_verified" }
      }
      LinkedIn = {
        type        = "OIDC"
        client_id   = "linkedin-client"
        oidc_issuer = "https://www.linkedin.com/oauth"
      }
    }
    identity_provider_secrets = {
      Entra         = { client_secret = "e-secret" }
      EntraV1       = { client_secret = "e1-secret" }
      EntraGov      = { client_secret = "eg-secret" }
      EntraChina    = { client_secret = "ec-secret" }
      EntraOwnClaim = { client_secret = "e2-secret" }
      LinkedIn      = { client_secret = "l-secret" }
    }
  }

  assert {
    condition     = output.attribute_mappings["Entra"]["email_verified"] == "xms_edov"
    error_message = "An Entra issuer sends no email_verified: map xms_edov into it (FACTS.md §20)."
  }

  assert {
    condition     = output.attribute_mappings["EntraV1"]["email_verified"] == "xms_edov"
    error_message = "The issuer Cognito is given (provider_details included) decides."
  }

  assert {
    condition = (output.attribute_mappings["EntraGov"]["email_verified"] == "xms_edov"
    && output.attribute_mappings["EntraChina"]["email_verified"] == "xms_edov")
    error_message = "Entra's national clouds (login.microsoftonline.us, login.chinacloudapi.cn) send no email_verified either: map xms_edov."
  }

  assert {
    condition     = output.attribute_mappings["EntraOwnClaim"]["email_verified"] == "email_verified"
    error_message = "The caller's attribute_mapping overrides the default."
  }

  assert {
    condition     = output.attribute_mappings["LinkedIn"]["email_verified"] == "email_verified"
    error_message = "Other issuers keep email_verified."
  }
}

run "google_as_oidc_maps_the_hosted_domain" {
  # Google set up as an OIDC provider sends the same ID token, hd included (FACTS.md §20):
  # the issuer Cognito is given decides (cognito_facts.json oidc_issuer_social_type).
  command = plan

  variables {
    case_sensitive = true
    identity_providers = {
      GoogleOidc = {
        type        = "OIDC"
        client_id   = "google-oidc-client"
        oidc_issuer = "https://accounts.google.com"
      }
      GoogleByDetails = {
        type             = "OIDC"
        client_id        = "google-details-client"
        oidc_issuer      = "https://www.example.com/placeholder"
        provider_details = { oidc_issuer = "HTTPS://Accounts.Google.com" }
      }
      NotGoogleByDetails = {
        type             = "OIDC"
        client_id        = "not-google-client"
        oidc_issuer      = "https://accounts.google.com"
        provider_details = { oidc_issuer = "https://corp.okta.com" }
      }
      LinkedIn = {
        type        = "OIDC"
        client_id   = "linkedin-client"
        oidc_issuer = "https://www.linkedin.com/oauth"
      }
    }
    identity_provider_secrets = {
      GoogleOidc         = { client_secret = "go-secret" }
      GoogleByDetails    = { client_secret = "gd-secret" }
      NotGoogleByDetails = { client_secret = "ng-secret" }
      LinkedIn           = { client_secret = "l-secret" }
    }
  }

  assert {
    condition     = output.attribute_mappings["GoogleOidc"]["custom:google_hd"] == "hd"
    error_message = "An OIDC provider on Google's issuer must map hd into custom:google_hd, as a Google provider does."
  }

  assert {
    condition     = output.attribute_mappings["GoogleByDetails"]["custom:google_hd"] == "hd"
    error_message = "The issuer Cognito is given (provider_details included, compared ignoring case) decides."
  }

  assert {
    condition = alltrue([for name in ["NotGoogleByDetails", "LinkedIn"] :
    !contains(keys(output.attribute_mappings[name]), "custom:google_hd")])
    error_message = "An OIDC provider whose issuer (as Cognito gets it) is not Google's maps no hosted domain."
  }

  assert {
    condition     = output.attribute_mappings["GoogleOidc"]["email_verified"] == "email_verified"
    error_message = "Google as OIDC keeps email_verified from email_verified."
  }
}

run "identity_providers_keep_secrets_and_cognito_defaults" {
  command = plan

  assert {
    condition     = nonsensitive(module.identity_providers.identity_providers["Google"].provider_details["client_secret"] == "g-secret")
    error_message = "The secret must reach provider_details, so changing it updates the provider."
  }

  assert {
    condition     = nonsensitive(module.identity_providers.identity_providers["Google"].provider_details["oidc_issuer"] == "https://accounts.google.com")
    error_message = "Google's provider_details must state the values Cognito adds, or every plan shows a diff."
  }

  assert {
    condition     = nonsensitive(tomap(module.identity_providers.identity_providers["Corporate"].provider_details)) == tomap({ MetadataURL = "https://idp.example.com/metadata" })
    error_message = "A SAML provider gets its metadata URL and nothing else."
  }

  assert {
    condition     = nonsensitive(module.identity_providers.identity_providers["LinkedIn"].provider_details["oidc_issuer"] == "https://www.linkedin.com/oauth")
    error_message = "An OIDC provider gets its issuer."
  }

  assert {
    condition     = toset(keys(module.identity_providers.identity_providers)) == toset(["Google", "LinkedIn", "Corporate"])
    error_message = "One provider per ProviderName."
  }

  assert {
    condition     = module.identity_providers.reviewable_settings["Google"].secret_fingerprints.client_secret == substr(sha256("g-secret"), 0, 12)
    error_message = "Plans must show a secret's rotation as a fingerprint change."
  }

  assert {
    condition     = !issensitive(module.identity_providers.reviewable_settings["Google"].provider_details)
    error_message = "The non-secret settings must stay visible in plans."
  }

  assert {
    condition     = !contains(keys(module.identity_providers.reviewable_settings["Google"].provider_details), "client_secret")
    error_message = "The reviewable record must not hold the secret."
  }
}

run "app_clients_may_write_every_mapped_attribute" {
  command = plan

  assert {
    condition = length(setsubtract(
      setunion([for m in values(output.attribute_mappings) : keys(m)]...),
      concat(["email_verified", "username"], tolist(module.app_clients.clients["web"].write_attributes)),
    )) == 0
    error_message = "write_attributes must hold every mapped attribute except email_verified and username."
  }

  assert {
    condition = length(setintersection(module.app_clients.clients["web"].write_attributes, [
      "email_verified", "phone_number_verified", "username",
    ])) == 0
    error_message = "The API refuses a client that lists email_verified, phone_number_verified or username."
  }

  assert {
    condition     = contains(module.app_clients.clients["web"].write_attributes, "custom:idp_sub") && contains(module.app_clients.clients["web"].write_attributes, "locale")
    error_message = "The subject copy and the client's own write_attributes must be writable."
  }

  assert {
    condition = toset(module.app_clients.clients["web"].supported_identity_providers) == toset([
      "COGNITO", "Google", "LinkedIn", "Corporate",
    ])
    error_message = "A client without identity_providers offers COGNITO and every provider."
  }
}

run "triggers_get_the_contract_configuration" {
  command = plan

  assert {
    condition = jsondecode(module.triggers.function_resources["pre-signup"].environment[0].variables["IDENTITY_PROVIDERS"]) == {
      Google    = { type = "Google", link_by_email = true, email_trust = "verified_claim", email_domains = null, subject_attribute = null }
      LinkedIn  = { type = "OIDC", link_by_email = true, email_trust = "verified_claim", email_domains = null, subject_attribute = "custom:idp_sub" }
      Corporate = { type = "SAML", link_by_email = true, email_trust = "always", email_domains = ["example.com"], subject_attribute = "custom:idp_sub" }
    }
    error_message = "IDENTITY_PROVIDERS must follow CONTRACT.md §1, domains lower-cased."
  }

  assert {
    condition     = module.triggers.function_resources["pre-token-generation"].environment[0].variables["USERNAME_CASE_SENSITIVE"] == "false"
    error_message = "USERNAME_CASE_SENSITIVE must be the pool's setting."
  }

  assert {
    condition     = alltrue([for f in module.triggers.function_resources : contains(keys(f.environment[0].variables), "LINKING_SECRET")])
    error_message = "Both triggers need LINKING_SECRET for their keyed hashes (lambda_src/pseudonyms.py)."
  }

  assert {
    condition     = alltrue([for f in module.triggers.function_resources : f.timeout < 5])
    error_message = "Trigger timeouts must stay under Cognito's 5 s."
  }

  assert {
    condition = alltrue([for p in module.triggers.permissions :
    p.source_arn == "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Example1" && p.principal == "cognito-idp.amazonaws.com"])
    error_message = "Each trigger may be invoked by this pool only."
  }

  assert {
    condition     = module.user_pool.user_pool.lambda_config[0].pre_token_generation_config[0].lambda_version == "V1_0"
    error_message = "Pre token generation defaults to V1_0."
  }
}

run "case_sensitive_pool_maps_no_subject" {
  command = plan

  variables {
    case_sensitive = true
    identity_providers = {
      LinkedIn = {
        type        = "OIDC"
        client_id   = "linkedin-client"
        oidc_issuer = "https://www.linkedin.com/oauth"
      }
    }
    identity_provider_secrets = {
      LinkedIn = { client_secret = "l-secret" }
    }
  }

  assert {
    condition     = !contains(keys(output.attribute_mappings["LinkedIn"]), "custom:idp_sub")
    error_message = "A case-sensitive pool passes exact-case subjects to the trigger: no subject mapping."
  }

  assert {
    condition     = !contains([for s in module.user_pool.user_pool.schema : s.name], "idp_sub")
    error_message = "No subject copy is needed in a case-sensitive pool."
  }

  assert {
    condition     = jsondecode(module.triggers.function_resources["pre-signup"].environment[0].variables["IDENTITY_PROVIDERS"])["LinkedIn"]["subject_attribute"] == null
    error_message = "subject_attribute is null where no subject is mapped."
  }
}

run "profile_store_and_alarms_are_opt_in" {
  command = plan

  assert {
    condition     = !module.triggers.profile_table_created && length(module.triggers.alarm_names) == 0
    error_message = "No profile table and no alarms unless asked for."
  }
}

run "profile_store_and_alarms_when_asked" {
  command = plan

  variables {
    triggers = {
      alarm_actions = ["arn:aws:sns:eu-west-1:123456789012:oncall"]
      profile_table = {}
    }
  }

  assert {
    condition     = module.triggers.profile_table_created && module.triggers.profile_table_name == "cogfed-test-profiles"
    error_message = "The profile table is created with a derived name."
  }

  assert {
    condition     = module.triggers.function_resources["pre-token-generation"].environment[0].variables["PROFILE_TABLE_NAME"] == "cogfed-test-profiles"
    error_message = "The trigger is told the table's name."
  }

  assert {
    condition     = length(module.triggers.alarm_names) == 4
    error_message = "Errors and throttles alarms for both triggers."
  }

  assert {
    condition     = contains(jsondecode(module.triggers.role_policies["pre-signup"]).Statement[*].Sid, "WriteProfileOnce")
    error_message = "The pre sign-up trigger writes the profile on the first sign-in."
  }

  assert {
    condition     = !contains(jsondecode(module.triggers.role_policies["pre-token-generation"]).Statement[*].Sid, "WriteProfileOnce")
    error_message = "The pre token trigger may not touch the profile table."
  }
}
