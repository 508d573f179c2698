terraform {
  # Pure computation: no provider, so it is tested offline with `terraform test`.
  required_version = ">= 1.9.0"
}
