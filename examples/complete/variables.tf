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
  # A placeholder the plan refuses: set the OAuth client ID of your Google Cloud project (terraform.tfvars.example). It keeps the
  # configuration readable by static policy checks, which see variable defaults.
  default = "123456789012-REPLACE-ME.apps.googleusercontent.com"

  validation {
    condition     = !strcontains(var.google_client_id, "REPLACE-ME")
    error_message = "Set google_client_id to the OAuth client ID of your Google Cloud project (see terraform.tfvars.example)."
  }
}

variable "google_client_secret" {
  description = "OAuth client secret of the Google Cloud project."
  type        = string
  sensitive   = true
}

variable "linkedin_client_id" {
  description = "Client ID of the LinkedIn app (Sign In with LinkedIn using OpenID Connect)."
  type        = string
  # A placeholder the plan refuses: set the client ID of your LinkedIn app (terraform.tfvars.example). It keeps the
  # configuration readable by static policy checks, which see variable defaults.
  default = "REPLACE-ME"

  validation {
    condition     = !strcontains(var.linkedin_client_id, "REPLACE-ME")
    error_message = "Set linkedin_client_id to the client ID of your LinkedIn app (see terraform.tfvars.example)."
  }
}

variable "linkedin_client_secret" {
  description = "Client secret of the LinkedIn app."
  type        = string
  sensitive   = true
}

variable "saml_metadata_url" {
  description = "Metadata URL of the organisation's SAML directory."
  type        = string
  # A placeholder the plan refuses: set your directory's metadata URL (terraform.tfvars.example). It keeps the
  # configuration readable by static policy checks, which see variable defaults.
  default = "https://REPLACE-ME.example.com/saml/metadata"

  validation {
    condition     = !strcontains(var.saml_metadata_url, "REPLACE-ME")
    error_message = "Set saml_metadata_url to your directory's metadata URL (see terraform.tfvars.example)."
  }
}

variable "saml_email_domains" {
  description = "Email domains the organisation's SAML directory owns, and so may vouch for."
  type        = list(string)
  default     = ["example.com"]
}
