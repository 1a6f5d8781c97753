//! Key-based sign-in: challenge and response, then a short-lived bearer token.
//!
//! 1. `POST /v1/auth/challenge {"id": "IL"}` answers a random nonce and the exact message to
//!    sign: `truceline-auth-v1\n<origin>\n<id>\n<nonce>\n`, where origin is
//!    `truceline/<agreement-id>` (a signature for one deployment is useless at another).
//! 2. The client signs it with its Ed25519 private key (which never leaves it) and sends
//!    `POST /v1/auth/token {"id", "nonce", "signature"}` (signature in base64).
//! 3. The server checks the signature against the public key it holds for that id, spends the
//!    nonce (each nonce works once, for two minutes) and answers a bearer token valid for
//!    fifteen minutes. `Authorization: Bearer <token>` on every request; for EventSource in
//!    a browser, which cannot set headers, `?access_token=<token>` on the stream route.
//!
//! No passwords, and no private key of anyone but the log's own on the server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use rand_core::{OsRng, RngCore};

use crate::access::Principal;
use crate::clock::Clock;
use crate::error::ApiError;
use truceline_engine::agreement::Role;

pub const CHALLENGE_TTL_MS: i64 = 120_000;
pub const TOKEN_TTL_MS: i64 = 15 * 60_000;
/// Outstanding challenges; past this the oldest expired ones are swept, then new ones refused.
pub const MAX_CHALLENGES: usize = 10_000;
pub const MAX_TOKENS: usize = 100_000;

/// The message a client signs to answer a challenge.
pub fn challenge_message(origin: &str, id: &str, nonce: &str) -> String {
    format!("truceline-auth-v1\n{origin}\n{id}\n{nonce}\n")
}

#[derive(Debug, Clone)]
struct Session {
    principal: Principal,
    expires_ms: i64,
}

pub struct Auth {
    origin: String,
    keys: HashMap<String, (Role, VerifyingKey)>,
    challenges: Mutex<HashMap<String, (String, i64)>>,
    tokens: Mutex<HashMap<String, Session>>,
    clock: Arc<dyn Clock>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Auth {
    pub fn new(
        origin: String,
        keys: HashMap<String, (Role, VerifyingKey)>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Auth {
            origin,
            keys,
            challenges: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            clock,
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A fresh nonce for `id`. Unknown ids get one too (that says nothing about who exists).
    pub fn challenge(&self, id: &str) -> Result<(String, i64), ApiError> {
        if id.is_empty() || id.len() > 64 {
            return Err(ApiError::unprocessable("id must be 1 to 64 characters"));
        }
        let now = self.clock.now_ms();
        let mut challenges = self.challenges.lock().unwrap_or_else(|e| e.into_inner());
        if challenges.len() >= MAX_CHALLENGES {
            challenges.retain(|_, (_, expires)| *expires > now);
            if challenges.len() >= MAX_CHALLENGES {
                return Err(ApiError::unavailable(
                    "too many sign-ins under way; try again shortly",
                ));
            }
        }
        let nonce = random_token();
        let expires = now + CHALLENGE_TTL_MS;
        challenges.insert(nonce.clone(), (id.to_owned(), expires));
        Ok((nonce, expires))
    }

    /// Spends the nonce and, if the signature is the id's, opens a session.
    pub fn token(
        &self,
        id: &str,
        nonce: &str,
        signature_b64: &str,
    ) -> Result<(String, i64, Principal), ApiError> {
        let now = self.clock.now_ms();
        let issued = self
            .challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(nonce);
        let refused =
            || ApiError::unauthorized("the signature does not answer a live challenge for this id");
        let Some((for_id, expires)) = issued else {
            return Err(refused());
        };
        if for_id != id || expires <= now {
            return Err(refused());
        }
        let (role, key) = self.keys.get(id).ok_or_else(refused)?;
        let raw = B64
            .decode(signature_b64.trim())
            .map_err(|_| ApiError::unprocessable("signature is not base64"))?;
        let sig = Signature::from_slice(&raw)
            .map_err(|_| ApiError::unprocessable("signature is not 64 bytes"))?;
        key.verify_strict(challenge_message(&self.origin, id, nonce).as_bytes(), &sig)
            .map_err(|_| refused())?;
        let principal = Principal {
            id: id.to_owned(),
            role: *role,
        };
        let token = random_token();
        let expires_ms = now + TOKEN_TTL_MS;
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if tokens.len() >= MAX_TOKENS {
            tokens.retain(|_, s| s.expires_ms > now);
            if tokens.len() >= MAX_TOKENS {
                return Err(ApiError::unavailable("too many sessions"));
            }
        }
        tokens.insert(
            token.clone(),
            Session {
                principal: principal.clone(),
                expires_ms,
            },
        );
        Ok((token, expires_ms, principal))
    }

    /// The principal behind a bearer token, if it is live.
    pub fn principal(&self, token: &str) -> Result<Principal, ApiError> {
        let now = self.clock.now_ms();
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        match tokens.get(token) {
            Some(s) if s.expires_ms > now => Ok(s.principal.clone()),
            Some(_) => {
                tokens.remove(token);
                Err(ApiError::unauthorized("token expired; sign in again"))
            }
            None => Err(ApiError::unauthorized(
                "unknown token; sign in with your key",
            )),
        }
    }

    /// Ends a session.
    pub fn revoke(&self, token: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }
}

/// Signs a challenge (clients, tests and the demo's own clients).
pub fn sign_challenge(
    key: &ed25519_dalek::SigningKey,
    origin: &str,
    id: &str,
    nonce: &str,
) -> String {
    use ed25519_dalek::Signer;
    B64.encode(
        key.sign(challenge_message(origin, id, nonce).as_bytes())
            .to_bytes(),
    )
}

/// A state that can tell who a bearer token is: what a route needs to take a
/// [`Principal`] without holding the whole application state.
pub trait HasAuth {
    fn auth(&self) -> &Auth;
}

impl HasAuth for Auth {
    fn auth(&self) -> &Auth {
        self
    }
}
