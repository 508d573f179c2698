variable "region" {
  description = "AWS Region of the user pool."
  type        = string
  default     = "eu-west-1"
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
