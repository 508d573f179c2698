variable "name" {
  description = "Prefix of the function, role and log group names."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,42}$", var.name))
    error_message = "name must be 1-43 characters of letters, digits, '-' and '_': it prefixes the function and role names (64 characters at most), the longest being <name>-pre-token-generation."
  }
}

variable "user_pool_arn" {
  description = "ARN of the user pool the triggers serve: the only pool they may call and be invoked by."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[\\w-]+_[0-9a-zA-Z]+$", var.user_pool_arn))
    error_message = "user_pool_arn must be a user pool ARN: arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>."
  }
}

variable "case_sensitive" {
  description = "The pool's username_configuration.case_sensitive (USERNAME_CASE_SENSITIVE)."
  type        = bool
}

variable "identity_providers" {
  description = "Linking settings per identity provider, keyed by ProviderName exactly as created in the pool (a social provider by its type: Google, Facebook, LoginWithAmazon, SignInWithApple, names no other type may use): type, link_by_email (false for Facebook and LoginWithAmazon, which prove nothing about an address), email_trust (verified_claim for Google, SignInWithApple, OIDC; always, with email_domains, for OIDC or SAML directories your organisation runs), email_domains, subject_attribute (e.g. custom:idp_sub in a case-insensitive pool), untrusted_sign_in (refuse, the default, or separate_user: a first sign-in that may not be linked by email becomes a separate user its owner may link by confirmation). Passed to the functions as IDENTITY_PROVIDERS. The pool should map hd into custom:google_hd for a Google provider and for an OIDC provider on Google's issuer, https://accounts.google.com (see the root README)."
  type = map(object({
    type              = string
    link_by_email     = optional(bool, true)
    email_trust       = optional(string, "verified_claim")
    email_domains     = optional(list(string))
    subject_attribute = optional(string)
    untrusted_sign_in = optional(string, "refuse")
  }))

  validation {
    # lambda_src/idp_config.py UNTRUSTED_SIGN_IN_MODES.
    condition     = alltrue([for idp in values(var.identity_providers) : contains(["refuse", "separate_user"], idp.untrusted_sign_in)])
    error_message = "identity_providers: untrusted_sign_in must be \"refuse\" (a first sign-in that may not be linked by email is refused) or \"separate_user\" (it becomes a separate user that its owner may link through the confirmed-linking endpoint). Not valid: ${join(", ", [for name, idp in var.identity_providers : name if !contains(["refuse", "separate_user"], idp.untrusted_sign_in)])}."
  }

  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
    idp.email_trust != "always" || length(coalesce(idp.email_domains, [])) > 0])
    error_message = "identity_providers: email_trust = \"always\" requires email_domains."
  }

  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
    contains(keys(jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types), idp.type)])
    error_message = "identity_providers: type must be one of ${join(", ", keys(jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types))} (lambda_src/cognito_facts.json)."
  }

  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
    contains(["verified_claim", "always"], idp.email_trust)])
    error_message = "identity_providers: email_trust must be \"verified_claim\" or \"always\"."
  }

  validation {
    # Facebook and Login with Amazon prove nothing about who owns an address: the triggers
    # never link their users by email (FACTS.md §8, email_trust_modes empty).
    condition = alltrue([for idp in values(var.identity_providers) :
    !idp.link_by_email || length(try(jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, ["unknown type"])) > 0])
    error_message = "identity_providers: ${join(" and ", [for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if length(fact.email_trust_modes) == 0])} prove nothing about who owns an email address, so the triggers never link their users by email: set link_by_email = false for them. Not valid: ${join(", ", [for name, idp in var.identity_providers : "${name} (${idp.type})" if idp.link_by_email && length(try(jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, ["unknown type"])) == 0])}."
  }

  validation {
    # Each type is evidence of who owns an address under some email_trust modes only
    # (FACTS.md §8, §20); under any other mode the triggers never link.
    condition = alltrue([for idp in values(var.identity_providers) :
      !idp.link_by_email || length(try(jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, [])) == 0 ||
      contains(try(jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, []), idp.email_trust)
    ])
    error_message = "identity_providers: with link_by_email = true, email_trust must be a mode the provider's type is evidence under (\"always\" only with email_domains, for a directory your organisation runs): ${join("; ", [for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : "${type}: ${join(" or ", [for mode in fact.email_trust_modes : "\"${mode}\""])}" if length(fact.email_trust_modes) > 0])}. Change email_trust, or set link_by_email = false. Not valid: ${join(", ", [for name, idp in var.identity_providers : "${name} (${idp.type}, email_trust = \"${idp.email_trust}\")" if idp.link_by_email && length(try(jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, [])) > 0 && !contains(try(jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, []), idp.email_trust)])}."
  }

  validation {
    # Social ProviderNames are fixed by Cognito (FACTS.md §1): a social type keyed by another
    # name is configuration for a provider the pool cannot have.
    condition = alltrue([for name, idp in var.identity_providers :
    !contains([for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if fact.social], idp.type) || name == idp.type])
    error_message = "identity_providers: a ${join(", ", [for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if fact.social])} provider must be keyed by exactly that name (e.g. Google = { type = \"Google\" }): Cognito fixes social ProviderNames. Not valid: ${join(", ", [for name, idp in var.identity_providers : "${name} (${idp.type})" if contains([for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if fact.social], idp.type) && name != idp.type])}."
  }

  validation {
    # The pool's provider of a social name is that social provider (FACTS.md §1), and the
    # triggers match ProviderNames in a userName ignoring case (FACTS.md §2): settings of
    # another type under such a name would lend that type's trust (a directory's "always")
    # to the social provider's sign-ins.
    condition = alltrue([for name, idp in var.identity_providers :
    contains([for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if fact.social], idp.type) || !contains([for type in [for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if fact.social] : lower(type)], lower(name))])
    error_message = "identity_providers: ${join(", ", [for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if fact.social])} are the names of Cognito's social providers (ignoring case): only the provider of that type may be keyed by one. Use the ProviderName the pool gives this provider, or its social type. Not valid: ${join(", ", [for name, idp in var.identity_providers : "${name} (${idp.type})" if !contains([for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if fact.social], idp.type) && contains([for type in [for type, fact in jsondecode(file("${path.module}/../../lambda_src/cognito_facts.json")).provider_types : type if fact.social] : lower(type)], lower(name))])}."
  }

  validation {
    # The triggers find the subject after <ProviderName>_ in a userName that a
    # case-insensitive pool lower-cases (FACTS.md §2); letters beyond ASCII can change length
    # when lower-cased.
    condition     = alltrue([for name in keys(var.identity_providers) : can(regex("^[\\x21-\\x7e]{1,32}$", name))])
    error_message = "identity_providers: ProviderNames must be 1-32 printable ASCII characters without spaces; not valid: ${join(", ", [for name in keys(var.identity_providers) : name if !can(regex("^[\\x21-\\x7e]{1,32}$", name))])}."
  }

  validation {
    # The triggers compare domains ignoring ASCII case only (lambda_src/ascii_case.py).
    condition = alltrue(flatten([for idp in values(var.identity_providers) : [
      for domain in coalesce(idp.email_domains, []) :
      can(regex("^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$", domain))
    ]]))
    error_message = "identity_providers: email_domains entries must be ASCII domain names such as example.com (an internationalised domain in its xn-- form)."
  }

  validation {
    # A federated userName is <ProviderName>_<subject> (FACTS.md §2): overlapping names
    # make it ambiguous, and the trigger refuses such sign-ins.
    condition = alltrue(flatten([for a in keys(var.identity_providers) : [
      for b in keys(var.identity_providers) : a == b || (lower(a) != lower(b) && !startswith(lower(b), "${lower(a)}_"))
    ]]))
    error_message = "identity_providers: ProviderNames overlap: ${join(", ", flatten([for i, a in keys(var.identity_providers) : [for j, b in keys(var.identity_providers) : "${a} and ${b}" if i < j && (lower(a) == lower(b) || startswith(lower(b), "${lower(a)}_") || startswith(lower(a), "${lower(b)}_"))]]))}. Rename one so that no name followed by \"_\" begins another, ignoring case."
  }
}

variable "source_dir" {
  description = "Directory of the trigger sources; defaults to this repository's lambda_src/. Another directory must hold all of lambda_src/, cognito_facts.json included: the functions read it when they load."
  type        = string
  default     = null
}

variable "runtime" {
  description = "Lambda Python runtime. python3.14 needs hashicorp/aws >= 6.20 (docs/provider-minimums.md)."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13", "python3.14"], var.runtime)
    error_message = "runtime must be python3.11, python3.12, python3.13 or python3.14."
  }
}

variable "architecture" {
  description = "arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory of each function, in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be 128 to 10240 MB."
  }
}

variable "timeout_seconds" {
  description = "Function timeout in seconds; well under the 5 s Cognito waits for a trigger, which also covers a cold start."
  type        = number
  default     = 3

  validation {
    condition     = var.timeout_seconds >= 2 && var.timeout_seconds <= 4
    error_message = "timeout_seconds must be 2 to 4: Cognito waits 5 s for a trigger and then retries."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "kms_key_arn" {
  description = "Optional KMS key for the log groups and the functions' environment."
  type        = string
  default     = null
}

variable "tracing_mode" {
  description = "X-Ray tracing: PassThrough or Active."
  type        = string
  default     = "PassThrough"

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing_mode)
    error_message = "tracing_mode must be PassThrough or Active."
  }
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified when a trigger errors or is throttled; empty: no alarms."
  type        = list(string)
  default     = []
}

variable "profile_table" {
  description = "Optional profile store: create a table (named <name>-profiles unless name is set), or name an existing one with create = false."
  type = object({
    create = optional(bool, true)
    name   = optional(string)
  })
  default = null

  validation {
    condition     = var.profile_table == null || try(var.profile_table.create, true) || try(length(var.profile_table.name) > 0, false)
    error_message = "profile_table: with create = false, name must be the existing table's name."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}

variable "confirmed_linking" {
  description = "The HTTPS endpoint through which a signed-in person links (and unlinks) another identity by proving control of both (lambda_src/confirmed_linking.py): enabled (default false); app_client_ids, the app clients whose access tokens it accepts (the JWT authorizer's audience; their allowed_oauth_scopes must include aws.cognito.signin.user.admin, which GetUser needs); allowed_origins, the browser origins allowed by CORS (https://host[:port], or for development http://localhost[:port] or http://127.0.0.1[:port]); the app clients must not allow the implicit OAuth flow (this module cannot see their settings; the root module refuses them); federated_user_max_age_seconds, how long ago (30-900 seconds, default 600) the separate federated user may have been created and the person may have signed in to the account when it is linked; throttling_burst_limit and throttling_rate_limit of the API's default route settings."
  type = object({
    enabled                        = optional(bool, false)
    app_client_ids                 = optional(list(string), [])
    allowed_origins                = optional(list(string), [])
    federated_user_max_age_seconds = optional(number, 600)
    throttling_burst_limit         = optional(number, 10)
    throttling_rate_limit          = optional(number, 5)
  })
  default  = {}
  nullable = false

  validation {
    condition     = !var.confirmed_linking.enabled || length(var.confirmed_linking.app_client_ids) > 0
    error_message = "confirmed_linking.app_client_ids must name at least one app client when the endpoint is enabled: its JWT authorizer accepts only their tokens."
  }

  validation {
    # An origin is scheme://host[:port] with nothing after it; "*" would let any site spend a
    # token it got hold of, and plain http anywhere but this machine exposes the tokens.
    condition     = alltrue([for o in var.confirmed_linking.allowed_origins : can(regex(local.confirmed_linking_origin, o))])
    error_message = "confirmed_linking.allowed_origins must be origins such as https://app.example.com (a host name, no path or trailing slash), or, for development only, http://localhost[:port] or http://127.0.0.1[:port]; \"*\" is not allowed. Not valid: ${join(", ", [for o in var.confirmed_linking.allowed_origins : o if !can(regex(local.confirmed_linking_origin, o))])}."
  }

  validation {
    # The same window bounds how long ago the person signed in to the account (auth_time).
    condition     = var.confirmed_linking.federated_user_max_age_seconds >= 30 && var.confirmed_linking.federated_user_max_age_seconds <= 900 && floor(var.confirmed_linking.federated_user_max_age_seconds) == var.confirmed_linking.federated_user_max_age_seconds
    error_message = "confirmed_linking.federated_user_max_age_seconds must be a whole number from 30 to 900: both sign-ins (to the account, and with the provider to add) must have been made moments before the link."
  }

  validation {
    condition     = var.confirmed_linking.throttling_burst_limit >= 1 && var.confirmed_linking.throttling_rate_limit > 0
    error_message = "confirmed_linking.throttling_burst_limit must be at least 1 and throttling_rate_limit above 0 (requests per second)."
  }
}
