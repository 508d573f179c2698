# Email and password, Google, LinkedIn (OIDC) and the organisation's SAML directory,
# all landing on one user per email, in a case-insensitive pool.

module "cognito_federation" {
  source = "../.."

  name = var.name

  # AWS's recommendation for user experience; the module then maps LinkedIn's and the
  # directory's mixed-case subjects into custom:idp_sub so links still match.
  case_sensitive = false

  domain = {
    prefix = var.domain_prefix
  }

  identity_providers = {
    Google = {
      type      = "Google"
      client_id = var.google_client_id
      # The organisation's own domain (its Workspace, or consumer Google accounts registered
      # with it) and Google's consumer domains: an account holding a Google identity is a
      # link target for the other providers only at these addresses, because a Google
      # account elsewhere may be a Workspace of a domain nobody vouches for (README, "Linking
      # rules and trust").
      email_domains = ["example.com", "gmail.com", "googlemail.com"]
    }

    LinkedIn = {
      type             = "OIDC"
      client_id        = var.linkedin_client_id
      oidc_issuer      = "https://www.linkedin.com/oauth"
      authorize_scopes = "openid profile email"
      # LinkedIn does not verify identities (FACTS.md §8): its email is trusted only
      # when it says it is verified.
      email_trust = "verified_claim"
    }

    Corporate = {
      type              = "SAML"
      saml_metadata_url = var.saml_metadata_url
      idp_identifiers   = var.saml_email_domains
      # The directory sends the NameID's value, exact case, in this attribute too: the
      # trigger links with it (case-insensitive pool, FACTS.md §3).
      attribute_mapping = {
        "custom:idp_sub" = "http://schemas.microsoft.com/identity/claims/objectidentifier"
      }
      # The organisation's own directory: trusted for its own domains only.
      email_trust   = "always"
      email_domains = var.saml_email_domains
    }
  }

  identity_provider_secrets = {
    Google   = { client_secret = var.google_client_secret }
    LinkedIn = { client_secret = var.linkedin_client_secret }
  }

  app_clients = {
    web = {
      callback_urls = var.callback_urls
      logout_urls   = var.logout_urls
      # GetUser, which the confirmed-linking endpoint has Cognito check tokens with, needs
      # this scope in the access token.
      allowed_oauth_scopes = ["openid", "email", "profile", "aws.cognito.signin.user.admin"]
    }
  }

  # A signed-in person links or unlinks another sign-in method by proving control of both
  # (examples/confirmed-linking shows the app's side). A provider whose first sign-ins
  # should become separate users to link this way sets untrusted_sign_in = "separate_user".
  confirmed_linking = {
    enabled         = true
    allowed_origins = var.app_origins
  }

  tags = {
    example = "complete"
  }
}
