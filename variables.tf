variable "name" {
  description = "Name of the user pool; also the prefix of the trigger functions, roles and log groups."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,42}$", var.name))
    error_message = "name must be 1-43 characters of letters, digits, '-' and '_', starting with a letter or digit: it prefixes the function and role names (64 characters at most), the longest being <name>-pre-token-generation."
  }
}

variable "case_sensitive" {
  description = <<-EOT
    Whether the pool compares usernames case-sensitively. Fixed at creation: changing
    it replaces the pool and every user in it. true (the API default) lets the
    triggers link with the subject exactly as the IdP sent it; false (the console
    default, AWS's recommendation for user experience) makes the module map each
    mixed-case subject into custom:idp_sub so links still match. See README.
  EOT
  type        = bool
  default     = true
  nullable    = false
}

variable "user_pool_tier" {
  description = "Feature plan of the pool: LITE, ESSENTIALS or PLUS. Pre token generation V2_0 needs ESSENTIALS or PLUS."
  type        = string
  default     = "ESSENTIALS"
  nullable    = false

  validation {
    condition     = contains(["LITE", "ESSENTIALS", "PLUS"], var.user_pool_tier)
    error_message = "user_pool_tier must be LITE, ESSENTIALS or PLUS."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the pool (and its users) until this is set to false and applied."
  type        = bool
  default     = true
  nullable    = false
}

variable "domain" {
  description = <<-EOT
    Optional hosted sign-in domain. Set `prefix` for <prefix>.auth.<region>.amazoncognito.com,
    or `custom_domain` with `certificate_arn` (an ACM certificate in us-east-1).
    `managed_login_version`: 1 for the classic hosted UI, 2 for managed login.
  EOT
  type = object({
    prefix                = optional(string)
    custom_domain         = optional(string)
    certificate_arn       = optional(string)
    managed_login_version = optional(number, 2)
  })
  default = null

  validation {
    condition     = var.domain == null || (try(var.domain.prefix, null) == null) != (try(var.domain.custom_domain, null) == null)
    error_message = "domain: set exactly one of prefix or custom_domain."
  }

  validation {
    condition     = try(var.domain.prefix, null) == null || can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.domain.prefix))
    error_message = "domain.prefix must be 1-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen."
  }

  validation {
    condition     = try(var.domain.custom_domain, null) == null || try(var.domain.certificate_arn, null) != null
    error_message = "domain.custom_domain needs domain.certificate_arn: an ACM certificate in us-east-1 covering the domain."
  }

  validation {
    condition     = var.domain == null || contains([1, 2], try(var.domain.managed_login_version, 2))
    error_message = "domain.managed_login_version must be 1 (classic hosted UI) or 2 (managed login)."
  }
}

variable "identity_providers" {
  description = <<-EOT
    Identity providers, keyed by ProviderName exactly as Cognito shows it. Social
    providers must be named after their type (Google, Facebook, LoginWithAmazon,
    SignInWithApple); OIDC and SAML names are yours (1-32 characters).

    type: Google | Facebook | LoginWithAmazon | SignInWithApple | OIDC | SAML.
    client_id, authorize_scopes: OAuth settings (not SAML). Secrets go in
      `identity_provider_secrets`, never here.
    oidc_issuer, attributes_request_method: OIDC only; the issuer URL is required.
    team_id, key_id: SignInWithApple only.
    saml_metadata_url or saml_metadata_document: SAML only, exactly one.
    idp_identifiers: domains or identifiers that route users to this IdP.
    provider_details: further provider_details keys, passed through as they are.
    attribute_mapping: added to, and overriding, the module's defaults for the type;
      each value is the IdP's claim name. In a case-insensitive pool a SAML provider
      must map "custom:idp_sub" from the assertion attribute that carries the
      NameID's exact value; other types get it by default (Google and Facebook need
      none). Google, and an OIDC provider on Google's issuer
      (https://accounts.google.com), also map "hd" into "custom:google_hd", which
      every pool declares; an OIDC issuer on Entra's sign-in hosts
      (login.microsoftonline.com, sts.windows.net, and the national clouds'
      login.microsoftonline.us and login.chinacloudapi.cn) maps email_verified from
      "xms_edov". Each value must name a claim: not empty, not padded, no control,
      private-use or invisible format characters.
    link_by_email: link this IdP's users to the native user with the same email.
      Facebook and LoginWithAmazon prove nothing about an address: false for them.
    email_trust: "verified_claim" trusts the email only when the IdP maps
      email_verified = "true" (Google, SignInWithApple, OIDC); "always" is for a
      directory your organisation controls (OIDC, SAML) and requires email_domains.
    email_domains: the only email domains this IdP may vouch for (null: any, only
      with "verified_claim"); a Google Workspace account is linked only when its
      hosted domain is listed here.
    untrusted_sign_in: what a first sign-in that may not be linked by email does:
      "refuse" (default), or "separate_user": it becomes a separate user that its
      owner may link to their account through the confirmed-linking endpoint
      (confirmed_linking), proving control of both.
  EOT
  type = map(object({
    type                      = string
    client_id                 = optional(string)
    authorize_scopes          = optional(string)
    oidc_issuer               = optional(string)
    attributes_request_method = optional(string, "GET")
    team_id                   = optional(string)
    key_id                    = optional(string)
    saml_metadata_url         = optional(string)
    saml_metadata_document    = optional(string)
    idp_identifiers           = optional(list(string), [])
    provider_details          = optional(map(string), {})
    attribute_mapping         = optional(map(string), {})
    link_by_email             = optional(bool, true)
    email_trust               = optional(string, "verified_claim")
    email_domains             = optional(list(string))
    untrusted_sign_in         = optional(string, "refuse")
  }))
  default  = {}
  nullable = false

  validation {
    # lambda_src/idp_config.py UNTRUSTED_SIGN_IN_MODES.
    condition     = alltrue([for idp in values(var.identity_providers) : contains(["refuse", "separate_user"], idp.untrusted_sign_in)])
    error_message = "identity_providers: untrusted_sign_in must be \"refuse\" or \"separate_user\". Not valid: ${join(", ", [for name, idp in var.identity_providers : name if !contains(["refuse", "separate_user"], idp.untrusted_sign_in)])}."
  }

  validation {
    # Types and the facts below: lambda_src/cognito_facts.json, the one table of Cognito facts
    # (validations cannot read the module's locals).
    condition = alltrue([for idp in values(var.identity_providers) :
    contains(keys(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types), idp.type)])
    error_message = "identity_providers: type must be one of ${join(", ", keys(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types))}; not valid: ${join(", ", [for name, idp in var.identity_providers : "${name} (${idp.type})" if !contains(keys(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types), idp.type)])}."
  }

  validation {
    # Social ProviderNames are fixed by Cognito (FACTS.md §1). A type no provider has is
    # left to the rule above, so a typo gets one message.
    condition = alltrue([for name, idp in var.identity_providers :
    !contains([for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if fact.social], idp.type) || name == idp.type])
    error_message = "identity_providers: a ${join(", ", [for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if fact.social])} provider must be keyed by exactly that name (e.g. Google = { type = \"Google\" }): Cognito fixes social ProviderNames. Not valid: ${join(", ", [for name, idp in var.identity_providers : name if !(!contains([for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if fact.social], idp.type) || name == idp.type)])}."
  }

  validation {
    condition = alltrue([for name, idp in var.identity_providers :
      !contains([for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if !fact.social], idp.type) || (
        can(regex("^[\\x21-\\x5e\\x60-\\x7e][\\x21-\\x7e]{0,30}[\\x21-\\x7e]$", name)) &&
        !contains(concat([for type in [for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if fact.social] : lower(type)], ["cognito"]), lower(name))
    )])
    error_message = "identity_providers: an OIDC or SAML ProviderName must be 2-32 printable ASCII characters without spaces, must not start with '_', and must not be a social provider's name or Cognito. (The triggers find the subject after <ProviderName>_ in a userName a case-insensitive pool lower-cases; letters beyond ASCII can change length when lower-cased.) Not valid: ${join(", ", [for name, idp in var.identity_providers : name if contains([for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if !fact.social], idp.type) && !(can(regex("^[\\x21-\\x5e\\x60-\\x7e][\\x21-\\x7e]{0,30}[\\x21-\\x7e]$", name)) && !contains(concat([for type in [for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if fact.social] : lower(type)], ["cognito"]), lower(name)))])}."
  }

  # The next four messages do not list the providers at fault: their tests read client IDs,
  # issuers and metadata, which may be unknown at plan (created in the same run) or
  # sensitive, and Terraform then shows no message at all.
  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
    idp.type != "OIDC" || can(regex("^https://[^\\s/]+", coalesce(idp.oidc_issuer, "-")))])
    error_message = "identity_providers: an OIDC provider needs oidc_issuer, its https:// issuer URL (e.g. https://www.linkedin.com/oauth)."
  }

  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
    idp.type == "SAML" || try(length(idp.client_id) > 0, false)])
    error_message = "identity_providers: every provider except SAML needs client_id (its secret goes in identity_provider_secrets)."
  }

  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
      idp.type != "SAML" || (idp.saml_metadata_url == null) != (idp.saml_metadata_document == null)
    ])
    error_message = "identity_providers: a SAML provider needs exactly one of saml_metadata_url or saml_metadata_document."
  }

  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
    idp.type != "SignInWithApple" || (idp.team_id != null && idp.key_id != null)])
    error_message = "identity_providers: SignInWithApple needs team_id and key_id (its private_key goes in identity_provider_secrets)."
  }

  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
    contains(["verified_claim", "always"], idp.email_trust)])
    error_message = "identity_providers: email_trust must be \"verified_claim\" or \"always\". Not valid: ${join(", ", [for name, idp in var.identity_providers : name if !(contains(["verified_claim", "always"], idp.email_trust))])}."
  }

  validation {
    # An IdP trusted without a verified claim may only vouch for domains it owns:
    # otherwise any tenant could assert anyone's email (FACTS.md §8, "nOAuth").
    condition = alltrue([for idp in values(var.identity_providers) :
    idp.email_trust != "always" || length(coalesce(idp.email_domains, [])) > 0])
    error_message = "identity_providers: email_trust = \"always\" requires email_domains, the domains this IdP owns: list them, or use email_trust = \"verified_claim\". Not valid: ${join(", ", [for name, idp in var.identity_providers : name if !(idp.email_trust != "always" || length(coalesce(idp.email_domains, [])) > 0)])}."
  }

  validation {
    # ASCII only (an internationalised domain in its xn-- form): the triggers compare domains
    # ignoring ASCII case alone, and a case-insensitive pattern would also admit look-alikes
    # such as the Kelvin sign for k (lambda_src/ascii_case.py).
    condition = alltrue(flatten([for idp in values(var.identity_providers) : [
      for domain in coalesce(idp.email_domains, []) :
      can(regex("^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$", domain))
    ]]))
    error_message = "identity_providers: email_domains entries must be ASCII domain names such as example.com (no '@', no wildcard; an internationalised domain in its xn-- form). Not valid: ${join(", ", flatten([for name, idp in var.identity_providers : [for domain in coalesce(idp.email_domains, []) : "${name}: \"${domain}\"" if !can(regex("^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$", domain))]]))}."
  }

  validation {
    # A federated userName is <ProviderName>_<subject>, lower-cased in a case-insensitive
    # pool (FACTS.md §2): when one name plus "_" begins another, or two names differ only in
    # case, a userName could belong to either, and the trigger refuses such sign-ins.
    condition = alltrue(flatten([for a in keys(var.identity_providers) : [
      for b in keys(var.identity_providers) : a == b || (lower(a) != lower(b) && !startswith(lower(b), "${lower(a)}_"))
    ]]))
    error_message = "identity_providers: ProviderNames overlap: ${join(", ", flatten([for i, a in keys(var.identity_providers) : [for j, b in keys(var.identity_providers) : "${a} and ${b}" if i < j && (lower(a) == lower(b) || startswith(lower(b), "${lower(a)}_") || startswith(lower(a), "${lower(b)}_"))]]))}. A userName <ProviderName>_<subject> could belong to either, so the trigger would refuse those sign-ins: rename one so that no name followed by \"_\" begins another, ignoring case."
  }

  validation {
    # Cognito owns these attributes; a mapping into them fails the sign-in (FACTS.md §4).
    condition = alltrue([for idp in values(var.identity_providers) :
      length(setintersection(keys(idp.attribute_mapping), jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).cognito_owned_attributes)) == 0
    ])
    error_message = "identity_providers: attribute_mapping must not map sub or identities: Cognito sets them. Not valid: ${join(", ", [for name, idp in var.identity_providers : name if !(length(setintersection(keys(idp.attribute_mapping), jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).cognito_owned_attributes)) == 0)])}."
  }

  validation {
    condition = var.case_sensitive || alltrue([for idp in values(var.identity_providers) :
    !contains(keys(idp.attribute_mapping), "custom:idp_sub") || !contains([for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if fact.subject_case_safe], idp.type)])
    error_message = "identity_providers: ${join(" and ", [for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if fact.subject_case_safe])} subjects are digits; do not map custom:idp_sub for them. Not valid: ${join(", ", [for name, idp in var.identity_providers : name if contains(keys(idp.attribute_mapping), "custom:idp_sub") && contains([for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if fact.subject_case_safe], idp.type)])}."
  }

  validation {
    condition = !var.case_sensitive || alltrue([for idp in values(var.identity_providers) :
    !contains(keys(idp.attribute_mapping), "custom:idp_sub")])
    error_message = "identity_providers: custom:idp_sub is only used in a case-insensitive pool (case_sensitive = false); remove it from attribute_mapping. Not valid: ${join(", ", [for name, idp in var.identity_providers : name if contains(keys(idp.attribute_mapping), "custom:idp_sub")])}."
  }

  validation {
    # Facebook and Login with Amazon prove nothing about who owns an address: the triggers
    # never link their users by email (FACTS.md §8, email_trust_modes empty).
    condition = alltrue([for idp in values(var.identity_providers) :
    !idp.link_by_email || length(try(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, ["unknown type"])) > 0])
    error_message = "identity_providers: ${join(" and ", [for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : type if length(fact.email_trust_modes) == 0])} prove nothing about who owns an email address, so the triggers never link their users by email: set link_by_email = false for them. Not valid: ${join(", ", [for name, idp in var.identity_providers : "${name} (${idp.type})" if idp.link_by_email && length(try(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, ["unknown type"])) == 0])}."
  }

  validation {
    # Each type is evidence of who owns an address under some email_trust modes only
    # (FACTS.md §8, §20): a verified claim from Google, Apple or OIDC, "always" from a
    # directory the organisation runs. Under any other mode the triggers never link.
    condition = alltrue([for idp in values(var.identity_providers) :
      !idp.link_by_email || length(try(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, [])) == 0 ||
      contains(try(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, []), idp.email_trust)
    ])
    error_message = "identity_providers: with link_by_email = true, email_trust must be a mode the provider's type is evidence under (\"always\" only with email_domains, for a directory your organisation runs): ${join("; ", [for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : "${type}: ${join(" or ", [for mode in fact.email_trust_modes : "\"${mode}\""])}" if length(fact.email_trust_modes) > 0])}. Change email_trust, or set link_by_email = false. Not valid: ${join(", ", [for name, idp in var.identity_providers : "${name} (${idp.type}, email_trust = \"${idp.email_trust}\")" if idp.link_by_email && length(try(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, [])) > 0 && !contains(try(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types[idp.type].email_trust_modes, []), idp.email_trust)])}."
  }

  validation {
    # An attribute_mapping value names the IdP's claim, which Cognito copies (FACTS.md §4): a
    # value naming none leaves the attribute unset, and an unset email_verified is never
    # "true", so such a provider's users are never linked. Unicode's "other" characters (C:
    # control, format such as a zero-width space or a byte order mark, private use) are
    # invisible in a plan and in the console, yet make the value name another claim; the
    # gate's CKV_COGFED_2 refuses the same.
    condition = alltrue(flatten([for idp in values(var.identity_providers) : [
      for claim in values(idp.attribute_mapping) :
      can(regex("^[^\\s\\p{Z}\\p{C}]([^\\p{C}]*[^\\s\\p{Z}\\p{C}])?$", claim))
    ]]))
    error_message = "identity_providers: every attribute_mapping value must be the name of the IdP's claim: not null, not empty, without surrounding spaces, and without control, private-use or invisible format characters (such as a zero-width space or a byte order mark). Write the claim's name exactly, or remove the entry. Not valid: ${join(", ", flatten([for name, idp in var.identity_providers : [for attribute, claim in idp.attribute_mapping : "${name}: ${attribute}" if !can(regex("^[^\\s\\p{Z}\\p{C}]([^\\p{C}]*[^\\s\\p{Z}\\p{C}])?$", claim))]]))}."
  }

  validation {
    # A mapping cannot set a value: "true" would name a claim called true, which no IdP
    # sends, so email_verified would never be "true" (FACTS.md §4).
    condition = alltrue([for idp in values(var.identity_providers) :
    !contains(["true", "false"], try(lower(idp.attribute_mapping["email_verified"]), ""))])
    error_message = "identity_providers: attribute_mapping maps email_verified from a claim named \"true\" or \"false\"; a mapping names the IdP's claim, it does not set a value. Map the claim that is \"true\" only for a verified email (e.g. email_verified), or remove the entry. Not valid: ${join(", ", [for name, idp in var.identity_providers : name if contains(["true", "false"], try(lower(idp.attribute_mapping["email_verified"]), ""))])}."
  }

  validation {
    # The pre sign-up trigger reads a Google account's hosted domain (hd, sent only for a
    # Workspace account) from the attribute the module maps it into (FACTS.md §20): anything
    # else written there would pass a Workspace account off as a consumer one, or the reverse.
    # Google set up as an OIDC provider sends the same ID token: an OIDC provider whose issuer
    # (provider_details' oidc_issuer, if given, as Cognito gets it) begins with a social
    # type's (oidc_issuer_social_type) counts as that type here. The issuer, which may be
    # unknown at plan, is read only for OIDC providers that map such an attribute.
    condition = alltrue(flatten([for idp in values(var.identity_providers) : [
      for attribute, claim in idp.attribute_mapping : try(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types[(idp.type != "OIDC" ? idp.type : concat([for prefix, type in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).oidc_issuer_social_type : type if startswith(lower(lookup(idp.provider_details, "oidc_issuer", coalesce(idp.oidc_issuer, "-"))), prefix)], [idp.type])[0])].hosted_domain == { attribute = attribute, claim = claim }, false)
      if contains([for fact in values(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types) : fact.hosted_domain.attribute if fact.hosted_domain != null], attribute)
    ]]))
    error_message = "identity_providers: ${join(", ", [for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : "${fact.hosted_domain.attribute} carries ${type}'s \"${fact.hosted_domain.claim}\" claim (a ${type} provider's${join("", [for prefix, social in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).oidc_issuer_social_type : ", or an OIDC provider's whose issuer begins ${prefix}" if social == type])})" if fact.hosted_domain != null])}, which the module maps by default and the triggers read to tell a Workspace account from a consumer one: remove it from attribute_mapping (no other claim, and no other provider, may be mapped into it). Not valid: ${join(", ", flatten([for name, idp in var.identity_providers : [for attribute, claim in idp.attribute_mapping : "${name}: ${attribute}" if contains([for fact in values(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types) : fact.hosted_domain.attribute if fact.hosted_domain != null], attribute) ? !try(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types[(idp.type != "OIDC" ? idp.type : concat([for prefix, type in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).oidc_issuer_social_type : type if startswith(lower(lookup(idp.provider_details, "oidc_issuer", coalesce(idp.oidc_issuer, "-"))), prefix)], [idp.type])[0])].hosted_domain == { attribute = attribute, claim = claim }, false) : false]]))}."
  }

  validation {
    # Through the API a custom attribute named like a standard one modifies the
    # standard attribute instead (FACTS.md §3).
    condition = alltrue(flatten([for idp in values(var.identity_providers) : [
      for attribute in keys(idp.attribute_mapping) : !contains(concat(
        jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).standard_attributes,
        jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).cognito_owned_attributes,
        ["username"],
      ), trimprefix(attribute, "custom:")) if startswith(attribute, "custom:")
    ]]))
    error_message = "identity_providers: attribute_mapping maps to custom:<standard attribute name> (e.g. custom:sub); a schema entry with a standard name modifies that standard attribute instead of creating a custom one. Use another name, e.g. custom:idp_sub. Not valid: ${join(", ", flatten([for name, idp in var.identity_providers : [for attribute in keys(idp.attribute_mapping) : "${name}: ${attribute}" if startswith(attribute, "custom:") && contains(concat(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).standard_attributes, jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).cognito_owned_attributes, ["username"]), trimprefix(attribute, "custom:"))]]))}."
  }

  validation {
    # A mapped custom attribute must be declared in the schema (FACTS.md §4).
    condition = alltrue(flatten([for idp in values(var.identity_providers) : [
      for attribute in keys(idp.attribute_mapping) :
      !startswith(attribute, "custom:") || attribute == "custom:idp_sub" || contains(var.custom_attributes, trimprefix(attribute, "custom:")) ||
      contains([for fact in values(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types) : fact.hosted_domain.attribute if fact.hosted_domain != null], attribute)
    ]]))
    error_message = "identity_providers: attribute_mapping maps a custom attribute that custom_attributes does not declare; add its name (without custom:) to custom_attributes. Not declared: ${join(", ", flatten([for name, idp in var.identity_providers : [for attribute in keys(idp.attribute_mapping) : "${name}: ${attribute}" if startswith(attribute, "custom:") && attribute != "custom:idp_sub" && !contains(var.custom_attributes, trimprefix(attribute, "custom:")) && !contains([for fact in values(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types) : fact.hosted_domain.attribute if fact.hosted_domain != null], attribute)]]))}."
  }

  validation {
    # FACTS.md §3: the trigger can only link with the exact-case subject, which a
    # case-insensitive pool hides from it; SAML has no default claim carrying it.
    condition = var.case_sensitive || alltrue([for idp in values(var.identity_providers) :
    idp.type != "SAML" || contains(keys(idp.attribute_mapping), "custom:idp_sub")])
    error_message = "identity_providers: in a case-insensitive pool (case_sensitive = false) a SAML provider must map \"custom:idp_sub\" from the assertion attribute that carries the NameID's exact value; without it links never match and users get a duplicate account. Not valid: ${join(", ", [for name, idp in var.identity_providers : name if idp.type == "SAML" && !contains(keys(idp.attribute_mapping), "custom:idp_sub")])}."
  }

  validation {
    condition = alltrue([for idp in values(var.identity_providers) :
      length(setsubtract(keys(idp.provider_details), [
        "authorize_scopes", "attributes_url", "attributes_url_add_attributes", "authorize_url",
        "token_url", "token_request_method", "jwks_uri", "oidc_issuer", "api_version",
        "attributes_request_method", "IDPSignout", "IDPInit", "EncryptedResponses",
        "RequestSigningAlgorithm", "SLORedirectBindingURI", "SSORedirectBindingURI",
      ])) == 0
    ])
    error_message = "identity_providers: provider_details may only add authorize_scopes, attributes_url, attributes_url_add_attributes, authorize_url, token_url, token_request_method, jwks_uri, oidc_issuer, api_version, attributes_request_method, IDPSignout, IDPInit, EncryptedResponses, RequestSigningAlgorithm, SLORedirectBindingURI or SSORedirectBindingURI; secrets go in identity_provider_secrets. Not valid: ${join(", ", [for name, idp in var.identity_providers : name if !(length(setsubtract(keys(idp.provider_details), ["authorize_scopes", "attributes_url", "attributes_url_add_attributes", "authorize_url", "token_url", "token_request_method", "jwks_uri", "oidc_issuer", "api_version", "attributes_request_method", "IDPSignout", "IDPInit", "EncryptedResponses", "RequestSigningAlgorithm", "SLORedirectBindingURI", "SSORedirectBindingURI", ])) == 0)])}."
  }
}

variable "custom_attributes" {
  description = "Names (without custom:) of further custom attributes your mappings write; each is declared as a mutable string. idp_sub (declared in a case-insensitive pool) and google_hd (declared in every pool, for Google's hosted domain) are the module's own."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for name in var.custom_attributes : can(regex("^[A-Za-z0-9_]{1,20}$", name))])
    error_message = "custom_attributes: names must be 1-20 letters, digits or '_', without the custom: prefix."
  }

  validation {
    # Through the API a custom attribute named like a standard one modifies the
    # standard attribute instead (FACTS.md §3).
    condition = length(setintersection(var.custom_attributes, concat(
      jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).standard_attributes,
      jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).cognito_owned_attributes,
      ["username"],
    ))) == 0
    error_message = "custom_attributes: a name may not be a standard attribute's name (e.g. sub, email): a schema entry with a standard name modifies that standard attribute. Use another name. Not valid: ${join(", ", setintersection(var.custom_attributes, concat(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).standard_attributes, jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).cognito_owned_attributes, ["username"])))}."
  }

  validation {
    # The module declares these itself: idp_sub in a case-insensitive pool (FACTS.md §3) and
    # every hosted-domain attribute (Google's, FACTS.md §20) in every pool, providers or not
    # (main.tf, hosted_domain_attributes).
    condition = length(setintersection(var.custom_attributes, concat(
      ["idp_sub"],
      [for fact in values(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types) : trimprefix(fact.hosted_domain.attribute, "custom:") if fact.hosted_domain != null],
    ))) == 0
    error_message = "custom_attributes: ${join(" and ", concat(["idp_sub"], [for fact in values(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types) : trimprefix(fact.hosted_domain.attribute, "custom:") if fact.hosted_domain != null]))} are the module's own: it declares idp_sub in a case-insensitive pool and ${join(" and ", [for type, fact in jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types : "${trimprefix(fact.hosted_domain.attribute, "custom:")} (for ${type}'s hosted domain) in every pool" if fact.hosted_domain != null])}. Remove them from custom_attributes. Not valid: ${join(", ", setintersection(var.custom_attributes, concat(["idp_sub"], [for fact in values(jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).provider_types) : trimprefix(fact.hosted_domain.attribute, "custom:") if fact.hosted_domain != null])))}."
  }
}

variable "identity_provider_secrets" {
  description = <<-EOT
    Secrets of the identity providers, keyed by ProviderName: `client_secret` for
    Google, Facebook, LoginWithAmazon and OIDC; `private_key` for SignInWithApple.
    Sensitive: kept out of plan output, but stored in the Terraform state (see README).
    Changing a value updates the provider in place.
  EOT
  type        = map(map(string))
  default     = {}
  nullable    = false
  sensitive   = true

  validation {
    condition = alltrue([for secrets in values(var.identity_provider_secrets) :
    length(setsubtract(keys(secrets), ["client_secret", "private_key"])) == 0])
    error_message = "identity_provider_secrets: each provider's map may only hold client_secret or private_key."
  }

  validation {
    condition     = nonsensitive(length(setsubtract(keys(var.identity_provider_secrets), keys(var.identity_providers))) == 0)
    error_message = "identity_provider_secrets: every key must be a ProviderName configured in identity_providers."
  }

  validation {
    # The secret each type's provider_details requires (Cognito CreateIdentityProvider).
    condition = nonsensitive(alltrue([for name, idp in var.identity_providers :
      idp.type == "SAML" || try(length(var.identity_provider_secrets[name][
        idp.type == "SignInWithApple" ? "private_key" : "client_secret"
      ]) > 0, false)
    ]))
    error_message = "identity_provider_secrets: each provider other than SAML needs its secret: client_secret (private_key for SignInWithApple), keyed by ProviderName."
  }
}

variable "app_clients" {
  description = <<-EOT
    App clients keyed by name. identity_providers lists the ProviderNames the client
    offers ("COGNITO" for email and password); null means COGNITO and every
    configured provider. write_attributes gets every mapped attribute added.
  EOT
  type = map(object({
    callback_urls                 = list(string)
    logout_urls                   = optional(list(string), [])
    identity_providers            = optional(list(string))
    allowed_oauth_flows           = optional(list(string), ["code"])
    allowed_oauth_scopes          = optional(list(string), ["openid", "email", "profile"])
    explicit_auth_flows           = optional(list(string), ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    generate_secret               = optional(bool, false)
    read_attributes               = optional(list(string))
    write_attributes              = optional(list(string), [])
    access_token_validity_minutes = optional(number, 60)
    id_token_validity_minutes     = optional(number, 60)
    refresh_token_validity_days   = optional(number, 30)
  }))
  default  = {}
  nullable = false

  validation {
    # Cognito accepts https://, http://localhost and app schemes (myapp://); any other
    # http:// URL fails at apply.
    condition = alltrue(flatten([for client in values(var.app_clients) : [
      for url in concat(client.callback_urls, client.logout_urls) :
      can(regex("^https://", url)) || can(regex("^http://localhost(:[0-9]+)?(/|$)", url)) || (can(regex("^[a-z][a-z0-9+.-]*://", url)) && !can(regex("^http://", url)))
    ]]))
    error_message = "app_clients: callback_urls and logout_urls must be https://, http://localhost or an app scheme such as myapp:// (Cognito rejects other http:// URLs). Not accepted: ${join(", ", flatten([for name, client in var.app_clients : [for url in concat(client.callback_urls, client.logout_urls) : "${name}: ${url}" if !(can(regex("^https://", url)) || can(regex("^http://localhost(:[0-9]+)?(/|$)", url)) || (can(regex("^[a-z][a-z0-9+.-]*://", url)) && !can(regex("^http://", url))))]]))}."
  }

  validation {
    condition = alltrue([for client in values(var.app_clients) :
    length(setsubtract(client.allowed_oauth_flows, ["code", "implicit", "client_credentials"])) == 0])
    error_message = "app_clients: allowed_oauth_flows may contain code, implicit and client_credentials."
  }

  validation {
    condition = alltrue([for client in values(var.app_clients) :
    length(setintersection(client.write_attributes, jsondecode(file("${path.module}/lambda_src/cognito_facts.json")).never_client_writable)) == 0])
    error_message = "app_clients: write_attributes must not list email_verified, phone_number_verified or username; the API rejects the client."
  }

  validation {
    condition = alltrue(flatten([for client in values(var.app_clients) : [
      for idp in coalesce(client.identity_providers, []) :
      idp == "COGNITO" || contains(keys(var.identity_providers), idp)
    ]]))
    error_message = "app_clients: identity_providers may only list \"COGNITO\" and ProviderNames configured in identity_providers."
  }
}

variable "pre_token_generation_version" {
  description = "Event version of the pre token generation trigger: V1_0 (ID token claims) or V2_0 (ID and access tokens; needs user_pool_tier ESSENTIALS or PLUS)."
  type        = string
  default     = "V1_0"
  nullable    = false

  validation {
    condition     = contains(["V1_0", "V2_0"], var.pre_token_generation_version)
    error_message = "pre_token_generation_version must be V1_0 or V2_0."
  }

  validation {
    condition     = var.pre_token_generation_version == "V1_0" || var.user_pool_tier != "LITE"
    error_message = "pre_token_generation_version = \"V2_0\" needs user_pool_tier = \"ESSENTIALS\" or \"PLUS\"; use V1_0 or change the tier."
  }
}

variable "triggers" {
  description = <<-EOT
    Settings of the trigger functions. timeout_seconds stays well under the 5 s
    Cognito waits for a trigger. log_retention_days applies to both
    log groups. alarm_actions: SNS topic ARNs; when set, alarms fire on trigger
    errors and throttles. profile_table: optional DynamoDB profile store written once
    per user on first sign-in (create = true makes the table; or give an existing
    table's name).
  EOT
  type = object({
    runtime            = optional(string, "python3.13")
    architecture       = optional(string, "arm64")
    memory_size        = optional(number, 256)
    timeout_seconds    = optional(number, 3)
    log_retention_days = optional(number, 365)
    kms_key_arn        = optional(string)
    tracing_mode       = optional(string, "PassThrough")
    alarm_actions      = optional(list(string), [])
    profile_table = optional(object({
      create = optional(bool, true)
      name   = optional(string)
    }))
  })
  default  = {}
  nullable = false

  # The settings are validated by modules/triggers, which also runs on its own.
}

variable "confirmed_linking" {
  description = <<-EOT
    An HTTPS endpoint through which a signed-in person links another identity by
    proving control of both, or unlinks one (README, "Linking accounts the user
    confirms"). enabled: create it (default false). app_clients: the app_clients
    keys whose access tokens it accepts (null: all); each must list
    "aws.cognito.signin.user.admin" in allowed_oauth_scopes (GetUser needs it).
    Those clients must not allow the "implicit" OAuth flow. allowed_origins: browser
    origins allowed by CORS (https; http://localhost or http://127.0.0.1 for
    development). federated_user_max_age_seconds: how long ago the separate user may
    have been created, and the person signed in to the account, when it is linked
    (30-900). throttling_*: the API's default route throttling. The URL is the
    confirmed_linking_url output.
  EOT
  type = object({
    enabled                        = optional(bool, false)
    app_clients                    = optional(list(string))
    allowed_origins                = optional(list(string), [])
    federated_user_max_age_seconds = optional(number, 600)
    throttling_burst_limit         = optional(number, 10)
    throttling_rate_limit          = optional(number, 5)
  })
  default  = {}
  nullable = false

  validation {
    condition     = !var.confirmed_linking.enabled || length(coalesce(var.confirmed_linking.app_clients, keys(var.app_clients))) > 0
    error_message = "confirmed_linking: the endpoint accepts tokens of app clients only; define app_clients (or list them in confirmed_linking.app_clients)."
  }

  validation {
    condition     = alltrue([for name in coalesce(var.confirmed_linking.app_clients, []) : contains(keys(var.app_clients), name)])
    error_message = "confirmed_linking.app_clients may list only keys of app_clients. Not defined: ${join(", ", [for name in coalesce(var.confirmed_linking.app_clients, []) : name if !contains(keys(var.app_clients), name)])}."
  }

  validation {
    # GetUser accepts only access tokens with this scope (API reference, GetUser).
    condition     = !var.confirmed_linking.enabled || alltrue([for name in coalesce(var.confirmed_linking.app_clients, keys(var.app_clients)) : contains(try(var.app_clients[name].allowed_oauth_scopes, []), "aws.cognito.signin.user.admin")])
    error_message = "confirmed_linking: add \"aws.cognito.signin.user.admin\" to allowed_oauth_scopes of ${join(", ", [for name in coalesce(var.confirmed_linking.app_clients, keys(var.app_clients)) : name if !contains(try(var.app_clients[name].allowed_oauth_scopes, []), "aws.cognito.signin.user.admin")])}: the endpoint has Cognito check each access token with GetUser, which needs that scope."
  }

  validation {
    # The implicit flow returns tokens in the redirect URL's fragment, where browser history,
    # extensions and the page's scripts can read them; either token proves one side of a
    # link. Only this module sees the clients' flows: modules/triggers gets their ids.
    condition     = !var.confirmed_linking.enabled || alltrue([for name in coalesce(var.confirmed_linking.app_clients, keys(var.app_clients)) : !contains(try(var.app_clients[name].allowed_oauth_flows, []), "implicit")])
    error_message = "confirmed_linking: remove \"implicit\" from allowed_oauth_flows of ${join(", ", [for name in coalesce(var.confirmed_linking.app_clients, keys(var.app_clients)) : name if contains(try(var.app_clients[name].allowed_oauth_flows, []), "implicit")])} (use \"code\", with PKCE), or leave them out of confirmed_linking.app_clients: the implicit flow puts tokens in URLs, and a token is all the endpoint asks of each side of a link."
  }

  # The origins and the age window are validated by modules/triggers, whichever module
  # calls it (one rule).
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
  nullable    = false
}
