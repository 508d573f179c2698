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
    condition     = length(module.user_pool.user_pool.schema) == 0
    error_message = "No custom attribute is needed."
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
