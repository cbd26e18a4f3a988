use core::fmt;

/// Why a webhook failed verification.
///
/// Messages for the failures the Standard Webhooks reference libraries share match theirs word for
/// word, so code that matches on them keeps working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[repr(u8)]
pub enum VerifyError {
    /// A header the scheme needs is absent.
    MissingHeaders = 1,
    /// The timestamp is not a plain integer number of seconds.
    InvalidTimestamp = 2,
    /// The timestamp is older than the tolerance allows.
    TimestampTooOld = 3,
    /// The timestamp is further in the future than the tolerance allows.
    TimestampTooNew = 4,
    /// The signature header's structure is wrong (e.g. Stripe's without `t=`).
    InvalidSignatureHeader = 5,
    /// Signatures were present but none decoded (bad base64/hex, wrong length or prefix).
    MalformedSignature = 6,
    /// Signatures decoded but none matched any key.
    NoMatchingSignature = 7,
    /// No key to verify with.
    NoSecret = 8,
    /// The header holds more than 100 signatures.
    TooManySignatures = 9,
}

impl VerifyError {
    /// Every variant, for mapping numeric codes back.
    pub const ALL: [VerifyError; 9] = [
        Self::MissingHeaders,
        Self::InvalidTimestamp,
        Self::TimestampTooOld,
        Self::TimestampTooNew,
        Self::InvalidSignatureHeader,
        Self::MalformedSignature,
        Self::NoMatchingSignature,
        Self::NoSecret,
        Self::TooManySignatures,
    ];

    /// A stable identifier, e.g. `timestamp_too_old`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::MissingHeaders => "missing_headers",
            Self::InvalidTimestamp => "invalid_timestamp",
            Self::TimestampTooOld => "timestamp_too_old",
            Self::TimestampTooNew => "timestamp_too_new",
            Self::InvalidSignatureHeader => "invalid_signature_header",
            Self::MalformedSignature => "malformed_signature",
            Self::NoMatchingSignature => "no_matching_signature",
            Self::NoSecret => "no_secret",
            Self::TooManySignatures => "too_many_signatures",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::MissingHeaders => "Missing required headers",
            Self::InvalidTimestamp => "Invalid Signature Headers",
            Self::TimestampTooOld => "Message timestamp too old",
            Self::TimestampTooNew => "Message timestamp too new",
            Self::InvalidSignatureHeader => "Invalid Signature Headers",
            Self::MalformedSignature => {
                "No matching signature found (signatures could not be decoded)"
            }
            Self::NoMatchingSignature => "No matching signature found",
            Self::NoSecret => "No secret to verify with",
            Self::TooManySignatures => "Signature header has more than 100 signatures",
        }
    }

    /// The numeric id used across the wasm boundary (never 0, which means success there).
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The variant with numeric id `id`.
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.id() == id)
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for VerifyError {}
