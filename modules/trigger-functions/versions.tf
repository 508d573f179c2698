terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.95"
    }
    # archive_file zips lambda_src/ at plan time; 2.4 added `excludes`.
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}
