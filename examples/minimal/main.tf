# Email and password plus Google, in a case-sensitive pool (the module's default).

module "cognito_federation" {
  source = "../.."

  name = "cogfed-minimal"

  identity_providers = {
    Google = {
      type      = "Google"
      client_id = var.google_client_id
    }
  }

  identity_provider_secrets = {
    Google = { client_secret = var.google_client_secret }
  }

  app_clients = {
    web = {
      callback_urls = ["http://localhost:3000/auth/callback"]
    }
  }
}
