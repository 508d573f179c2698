variable "region" {
  description = "AWS Region of the user pool."
  type        = string
  default     = "eu-west-1"
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
