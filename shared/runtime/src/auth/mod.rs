//! Identity: bearer JWTs checked once, in one layer, for every RPC but health and reflection.

mod keys;
mod layer;

pub use keys::load_keys;
pub use layer::{AuthLayer, AuthService, parse_grpc_timeout};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lacak_domain::{Principal, Role};
use serde::{Deserialize, Serialize};

use crate::config::JwtAlgorithm;

/// The claims of a Lacak token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: u64,
    pub iat: u64,
    pub tenant: String,
    pub role: String,
    /// For a manager: the ids of the teams they lead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
    /// On a service's call made for someone else: that someone's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing authorization metadata; send `authorization: Bearer <token>`")]
    Missing,
    #[error("authorization metadata is not `Bearer <token>`")]
    NotBearer,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("key material: {0}")]
    Keys(String),
}

/// One request's caller, as the handlers and the outgoing-call helper see it.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub principal: Principal,
    /// For a service's call made for a person: that person's subject.
    pub on_behalf_of: Option<String>,
    /// When the caller stops waiting, from `grpc-timeout`.
    pub deadline: Option<Instant>,
    /// When the caller's token stops being accepted (its `exp` plus the tolerated skew); `None`
    /// for a service's own calls. A long stream checks it message by message.
    pub token_expiry: Option<SystemTime>,
}

impl CallContext {
    /// Whether the token the call was made with has lapsed since the call began.
    pub fn token_expired(&self) -> bool {
        self.token_expiry.is_some_and(|expiry| SystemTime::now() >= expiry)
    }

    /// Completes when the call's token lapses (never for a token without expiry): a quiet stream
    /// waits on it to end in time.
    pub async fn token_lapses(&self) {
        match self.token_expiry {
            Some(expiry) => {
                let left = expiry.duration_since(SystemTime::now()).unwrap_or_default();
                tokio::time::sleep(left).await;
            }
            None => std::future::pending().await,
        }
    }

    /// UNAUTHENTICATED, as the auth layer answers, for a stream whose token lapsed while it ran.
    pub fn lapsed() -> tonic::Status {
        crate::error::with_info(
            tonic::Code::Unauthenticated,
            "the token expired while the stream was open; open a new stream with a fresh token",
            "UNAUTHENTICATED",
            "auth.lacak.dev",
        )
    }

    /// The time left before the caller's deadline, if it set one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }
}

/// What a valid token says.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    /// For a service's call made for a person: that person's subject (`act`).
    pub on_behalf_of: Option<String>,
    /// When the token stops being accepted.
    pub expiry: SystemTime,
}

/// Checks tokens: signature, algorithm, issuer, audience, expiry with bounded skew.
pub struct Authenticator {
    key: DecodingKey,
    /// A previous key still accepted while callers move to the current one (key rotation).
    previous: Option<DecodingKey>,
    validation: Validation,
}

impl Authenticator {
    pub fn new(algorithm: JwtAlgorithm, key: DecodingKey, issuer: &str, audience: &str, leeway: Duration) -> Self {
        let mut validation = Validation::new(jwt_algorithm(algorithm));
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = leeway.as_secs();
        validation.validate_nbf = true;
        Self {
            key,
            previous: None,
            validation,
        }
    }

    /// Also accepts tokens signed with `previous`, during a key rotation.
    pub fn with_previous_key(mut self, previous: DecodingKey) -> Self {
        self.previous = Some(previous);
        self
    }

    /// The principal behind an `authorization` header value, who it acts for, and when the token
    /// stops being accepted (`exp` plus the tolerated skew).
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Authenticated, AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::NotBearer)?
            .trim();
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .or_else(|error| match &self.previous {
                Some(previous) => jsonwebtoken::decode::<Claims>(token, previous, &self.validation).map_err(|_| error),
                None => Err(error),
            })
            .map_err(|e| AuthError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let expiry = UNIX_EPOCH + Duration::from_secs(claims.exp.saturating_add(self.validation.leeway));
        principal_from_claims(&claims).map(|principal| Authenticated {
            principal,
            on_behalf_of: claims.act,
            expiry,
        })
    }
}

/// The most teams a manager token may name.
pub const MAX_TEAMS_CLAIMED: usize = 1000;

fn principal_from_claims(claims: &Claims) -> Result<Principal, AuthError> {
    let role: Role = claims
        .role
        .parse()
        .map_err(|e: lacak_domain::principal::UnknownRole| AuthError::Invalid(e.to_string()))?;
    if claims.tenant.is_empty() || claims.tenant.len() > 128 {
        return Err(AuthError::Invalid(
            "the tenant claim must hold 1 to 128 characters".into(),
        ));
    }
    if claims.sub.is_empty() {
        return Err(AuthError::Invalid("the sub claim is empty".into()));
    }
    // A manager's teams decide what they see; a claim that is not a team id (a pattern, an empty
    // string, a path) is refused here rather than trusted by every access check after.
    if claims.teams.len() > MAX_TEAMS_CLAIMED {
        return Err(AuthError::Invalid(format!(
            "the teams claim names more than {MAX_TEAMS_CLAIMED} teams"
        )));
    }
    let mut teams = Vec::with_capacity(claims.teams.len());
    for team in &claims.teams {
        let id = team.strip_prefix("teams/").unwrap_or(team);
        if crate::names::validate_id(id, "teams").is_err() {
            return Err(AuthError::Invalid(format!(
                "the teams claim holds {:?}, not a team id (1-63 of a-z, 0-9 and '-')",
                crate::error::bounded(id, 80)
            )));
        }
        teams.push(id.to_owned());
    }
    Ok(Principal {
        tenant: claims.tenant.clone(),
        subject: claims.sub.strip_prefix("members/").unwrap_or(&claims.sub).to_owned(),
        role,
        teams,
    })
}

/// Signs tokens: for `lacak token`, and for this process's calls to other services.
#[derive(Clone)]
pub struct TokenIssuer {
    key: EncodingKey,
    algorithm: JwtAlgorithm,
    issuer: String,
    audience: String,
}

impl TokenIssuer {
    pub fn new(algorithm: JwtAlgorithm, key: EncodingKey, issuer: &str, audience: &str) -> Self {
        Self {
            key,
            algorithm,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// A token for `principal`, valid for `ttl`.
    pub fn issue(&self, principal: &Principal, ttl: Duration, act: Option<&str>) -> Result<String, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| AuthError::Keys(e.to_string()))?
            .as_secs();
        self.issue_expiring(principal, now + ttl.as_secs(), act)
    }

    /// A token for `principal` whose `exp` is `expires` (seconds since 1970).
    pub fn issue_expiring(&self, principal: &Principal, expires: u64, act: Option<&str>) -> Result<String, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| AuthError::Keys(e.to_string()))?
            .as_secs();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: principal.subject.clone(),
            exp: expires,
            iat: now,
            tenant: principal.tenant.clone(),
            role: principal.role.as_str().to_owned(),
            teams: principal.teams.clone(),
            act: act.map(str::to_owned),
        };
        jsonwebtoken::encode(&Header::new(jwt_algorithm(self.algorithm)), &claims, &self.key)
            .map_err(|e| AuthError::Keys(e.to_string()))
    }
}

fn jwt_algorithm(algorithm: JwtAlgorithm) -> Algorithm {
    match algorithm {
        JwtAlgorithm::Hs256 => Algorithm::HS256,
        JwtAlgorithm::Rs256 => Algorithm::RS256,
        JwtAlgorithm::EdDsa => Algorithm::EdDSA,
    }
}

/// An HS256 authenticator and issuer sharing one secret: for tests and tools.
pub fn hs256_keys(secret: &[u8], issuer: &str, audience: &str, leeway: Duration) -> (Authenticator, TokenIssuer) {
    (
        Authenticator::new(
            JwtAlgorithm::Hs256,
            DecodingKey::from_secret(secret),
            issuer,
            audience,
            leeway,
        ),
        TokenIssuer::new(JwtAlgorithm::Hs256, EncodingKey::from_secret(secret), issuer, audience),
    )
}

/// Where the HS256 secret lives when no file is configured.
pub fn default_secret_path(data_dir: &Path) -> PathBuf {
    data_dir.join("signing-key")
}

/// The principal of a request, as a service error when the auth layer did not run.
pub fn principal<D: crate::ErrorDomain, T>(request: &tonic::Request<T>) -> Result<Principal, crate::ServiceError<D>> {
    request
        .extensions()
        .get::<CallContext>()
        .map(|context| context.principal.clone())
        .ok_or_else(|| crate::ServiceError::denied("no authenticated caller"))
}

/// The caller of a request, or UNAUTHENTICATED when the auth layer did not run.
pub fn caller<T>(request: &tonic::Request<T>) -> Result<&CallContext, tonic::Status> {
    request
        .extensions()
        .get::<CallContext>()
        .ok_or_else(|| tonic::Status::unauthenticated("no authenticated caller"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AuthArgs;

    /// The HS256 secret of [`keys`].
    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    /// `claims` signed with [`SECRET`], as an `authorization` value.
    fn bearer(claims: &Claims) -> String {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        format!("Bearer {token}")
    }

    fn keys() -> (Authenticator, TokenIssuer) {
        (
            Authenticator::new(
                JwtAlgorithm::Hs256,
                DecodingKey::from_secret(SECRET),
                "lacak",
                "lacak",
                Duration::from_secs(5),
            ),
            TokenIssuer::new(JwtAlgorithm::Hs256, EncodingKey::from_secret(SECRET), "lacak", "lacak"),
        )
    }

    fn manager() -> Principal {
        Principal {
            tenant: "acme".into(),
            subject: "m-1".into(),
            role: Role::Manager,
            teams: vec!["emea".into()],
        }
    }

    #[test]
    fn an_issued_token_authenticates_as_its_principal() {
        let (auth, issuer) = keys();
        let token = issuer.issue(&manager(), Duration::from_secs(60), None).unwrap();
        let Authenticated {
            principal,
            on_behalf_of: act,
            ..
        } = auth.authenticate(Some(&format!("Bearer {token}"))).unwrap();
        assert_eq!(principal, manager());
        assert_eq!(act, None);
    }

    #[test]
    fn missing_garbage_and_unsigned_tokens_are_refused() {
        let (auth, _) = keys();
        assert!(matches!(auth.authenticate(None), Err(AuthError::Missing)));
        assert!(matches!(
            auth.authenticate(Some("Basic abc")),
            Err(AuthError::NotBearer)
        ));
        assert!(matches!(
            auth.authenticate(Some("Bearer garbage")),
            Err(AuthError::Invalid(_))
        ));
        // {"alg":"none"} with valid-looking claims and no signature.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJsYWNhayIsImF1ZCI6ImxhY2FrIiwic3ViIjoieCIsImV4cCI6OTk5OTk5OTk5OSwiaWF0IjoxLCJ0ZW5hbnQiOiJhIiwicm9sZSI6ImFkbWluIn0.";
        assert!(matches!(
            auth.authenticate(Some(&format!("Bearer {none}"))),
            Err(AuthError::Invalid(_))
        ));
    }

    #[test]
    fn expired_tokens_and_foreign_issuers_or_audiences_are_refused() {
        let (auth, _) = keys();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let sign = |iss: &str, aud: &str, exp: u64| {
            bearer(&Claims {
                iss: iss.into(),
                aud: aud.into(),
                sub: "m-1".into(),
                exp,
                iat: now,
                tenant: "acme".into(),
                role: "admin".into(),
                teams: vec![],
                act: None,
            })
        };
        assert!(auth.authenticate(Some(&sign("lacak", "lacak", now + 60))).is_ok());
        // Past the 5 s leeway.
        assert!(auth.authenticate(Some(&sign("lacak", "lacak", now - 10))).is_err());
        assert!(
            auth.authenticate(Some(&sign("someone-else", "lacak", now + 60)))
                .is_err()
        );
        assert!(auth.authenticate(Some(&sign("lacak", "other-app", now + 60))).is_err());
    }

    #[test]
    fn a_managers_teams_must_be_team_ids() {
        let (auth, _) = keys();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let sign = |teams: Vec<String>| {
            bearer(&Claims {
                iss: "lacak".into(),
                aud: "lacak".into(),
                sub: "lead".into(),
                exp: now + 60,
                iat: now,
                tenant: "acme".into(),
                role: "manager".into(),
                teams,
                act: None,
            })
        };
        let fine = auth
            .authenticate(Some(&sign(vec!["emea".into(), "teams/apac".into()])))
            .unwrap();
        assert_eq!(fine.principal.teams, ["emea", "apac"]);
        // A LIKE pattern would match every team path; none of these name a team.
        for bad in ["%", "", "EMEA", "a/b", "_", "-x"] {
            assert!(
                matches!(
                    auth.authenticate(Some(&sign(vec![bad.into()]))),
                    Err(AuthError::Invalid(_))
                ),
                "{bad:?}"
            );
        }
        let too_many = (0..=MAX_TEAMS_CLAIMED).map(|i| format!("t{i}")).collect();
        assert!(auth.authenticate(Some(&sign(too_many))).is_err());
    }

    #[test]
    fn eddsa_keys_from_files_sign_and_verify() {
        let dir = std::env::temp_dir().join(format!("lacak-eddsa-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let private = dir.join("ed.pem");
        let public = dir.join("ed.pub.pem");
        std::fs::write(
            &private,
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIO5iyo+fZ8WjKy6vLLKOcLLTSXkqEtXgMTYGtaya1JAr\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        std::fs::write(
            &public,
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAwbHvAnTAN5bLJONMS5Wbod1ad1JeAKm7jCRFmHlcUxA=\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        let args = AuthArgs {
            jwt_algorithm: JwtAlgorithm::EdDsa,
            jwt_secret_file: None,
            jwt_public_key_file: Some(public),
            jwt_private_key_file: Some(private),
            jwt_previous_key_file: None,
            jwt_issuer: "lacak".into(),
            jwt_audience: "lacak".into(),
            jwt_leeway: Duration::from_secs(5),
        };
        let (auth, issuer) = load_keys(&args, &dir, false).unwrap();
        let token = issuer
            .unwrap()
            .issue(&manager(), Duration::from_secs(60), None)
            .unwrap();
        assert_eq!(
            auth.authenticate(Some(&format!("Bearer {token}"))).unwrap().principal,
            manager()
        );
        // An HS256 token is refused by an EdDSA server, whatever its claims.
        let (_, hs) = keys();
        let hs_token = hs.issue(&manager(), Duration::from_secs(60), None).unwrap();
        assert!(auth.authenticate(Some(&format!("Bearer {hs_token}"))).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn up_creates_a_secret_once_and_serve_requires_it() {
        let dir = std::env::temp_dir().join(format!("lacak-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let args = AuthArgs {
            jwt_algorithm: JwtAlgorithm::Hs256,
            jwt_secret_file: None,
            jwt_public_key_file: None,
            jwt_private_key_file: None,
            jwt_previous_key_file: None,
            jwt_issuer: "lacak".into(),
            jwt_audience: "lacak".into(),
            jwt_leeway: Duration::from_secs(5),
        };
        assert!(
            load_keys(&args, &dir, false).is_err(),
            "no secret yet and none may be created"
        );
        let (_, issuer) = load_keys(&args, &dir, true).unwrap();
        let token = issuer
            .unwrap()
            .issue(&manager(), Duration::from_secs(60), None)
            .unwrap();
        let (again, _) = load_keys(&args, &dir, true).unwrap();
        assert!(
            again.authenticate(Some(&format!("Bearer {token}"))).is_ok(),
            "the same secret is reused"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn during_a_rotation_tokens_of_the_previous_key_are_still_accepted() {
        let old = b"the-old-secret-the-old-secret-0123";
        let new = b"the-new-secret-the-new-secret-4567";
        let (_, old_issuer) = hs256_keys(old, "lacak", "lacak", Duration::from_secs(5));
        let (plain, new_issuer) = hs256_keys(new, "lacak", "lacak", Duration::from_secs(5));
        let rotating = plain.with_previous_key(DecodingKey::from_secret(old));
        let (plain, _) = hs256_keys(new, "lacak", "lacak", Duration::from_secs(5));
        let old_token = format!(
            "Bearer {}",
            old_issuer.issue(&manager(), Duration::from_secs(60), None).unwrap()
        );
        let new_token = format!(
            "Bearer {}",
            new_issuer.issue(&manager(), Duration::from_secs(60), None).unwrap()
        );
        assert!(rotating.authenticate(Some(&old_token)).is_ok());
        assert!(rotating.authenticate(Some(&new_token)).is_ok());
        assert!(
            plain.authenticate(Some(&old_token)).is_err(),
            "without the previous key, old tokens are refused"
        );
        let (_, stranger) = hs256_keys(
            b"a-third-secret-a-third-secret-8901",
            "lacak",
            "lacak",
            Duration::from_secs(5),
        );
        let forged = format!(
            "Bearer {}",
            stranger.issue(&manager(), Duration::from_secs(60), None).unwrap()
        );
        assert!(rotating.authenticate(Some(&forged)).is_err());
    }

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("m"), None);
    }
}
