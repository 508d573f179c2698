variable "region" {
  description = "AWS Region of the user pool."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the user pool and prefix of its triggers."
  type        = string
  default     = "cogfed-complete"
}

variable "domain_prefix" {
  description = "Prefix of the hosted sign-in domain (<prefix>.auth.<region>.amazoncognito.com); globally unique."
  type        = string
  default     = "cogfed-complete-example"
}

variable "callback_urls" {
  description = "Where the hosted sign-in returns to after sign-in."
  type        = list(string)
  default     = ["https://app.example.com/auth/callback", "http://localhost:3000/auth/callback"]
}

variable "logout_urls" {
  description = "Where the hosted sign-in returns to after sign-out."
  type        = list(string)
  default     = ["https://app.example.com/", "http://localhost:3000/"]
}

variable "google_client_id" {
  description = "OAuth client ID of the Google Cloud project."
  type        = string
  nullable    = false
}

variable "google_client_secret" {
  description = "OAuth client secret of the Google Cloud project."
  type        = string
  sensitive   = true
}

variable "linkedin_client_id" {
  description = "Client ID of the LinkedIn app (Sign In with LinkedIn using OpenID Connect)."
  type        = string
  nullable    = false
}

variable "linkedin_client_secret" {
  description = "Client secret of the LinkedIn app."
  type        = string
  sensitive   = true
}

variable "saml_metadata_url" {
  description = "Metadata URL of the organisation's SAML directory."
  type        = string
  nullable    = false
}

variable "saml_email_domains" {
  description = "Email domains the organisation's SAML directory owns, and so may vouch for."
  type        = list(string)
  default     = ["example.com"]
}

variable "app_origins" {
  description = "Browser origins of the app that calls the confirmed-linking endpoint (CORS)."
  type        = list(string)
  default     = ["https://app.example.com"]
}
