//! The SSRF guard for webhook endpoint URLs, as pure logic: no DNS, no I/O.
//!
//! [`check_url`] parses an `http`/`https` URL the way the WHATWG URL standard (browsers, `fetch`,
//! curl) reads its host, so that `http://2130706433/`, `http://0x7f.1/` or `http://[::ffff:7f00:1]/`
//! are all seen as `127.0.0.1`, then refuses loopback, private, link-local and reserved addresses
//! and internal host names unless the [`Allowlist`] (the `SSRF_ALLOWLIST` setting) names them.
//! Call it when an endpoint URL is saved and again before every delivery.
//!
//! Decisions:
//! - Anything ambiguous between URL parsers is refused rather than interpreted: user info
//!   (`user@`), backslashes before the query, whitespace and control characters anywhere, `%` in
//!   the host (percent-encoding and IPv6 zone ids), non-ASCII hosts (send punycode, `xn--…`),
//!   and anything but exactly `//` after the scheme.
//! - A single-label host name (`http://intranet/`) is refused as internal: it can only resolve
//!   through a local search domain or hosts file. Allowlist it to use it.
//! - IPv6 forms that embed an IPv4 address (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`,
//!   IPv4-translated `::ffff:0:0:0/96`, NAT64 `64:ff9b::/96` and 6to4 `2002::/16`) are judged by
//!   the embedded address; Teredo (`2001::/32`) and local-use NAT64 (`64:ff9b:1::/48`) are
//!   refused outright.
//!
//! Out of scope: a public name can still resolve to a private address (DNS rebinding,
//! `127.0.0.1.nip.io`). Only the resolver and the network in front of it can stop that; on
//! Cloudflare Workers, `fetch` cannot reach private networks in the first place.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::{self, Write as _};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Host-name suffixes that never name a public service: the name itself and every name under it
/// are refused (`localhost`, `api.localhost`, `printer.local`, `metadata.google.internal`, …).
pub const INTERNAL_SUFFIXES: [&str; 10] = [
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "private",
    "corp",
    "home",
    "lan",
    "home.arpa",
];

/// The URL scheme of a [`Destination`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UrlScheme {
    /// `http`, default port 80.
    Http,
    /// `https`, default port 443.
    Https,
}

impl UrlScheme {
    /// `"http"` or `"https"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// 80 or 443.
    pub const fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

/// Where a checked URL leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destination {
    /// `http` or `https`, whatever the case in the URL.
    pub scheme: UrlScheme,
    /// The host as the WHATWG URL standard serializes it (JavaScript's `new URL(url).hostname`
    /// without IPv6 brackets): a lowercase name (a trailing dot is kept), an IPv4 address in
    /// dotted decimal, or an IPv6 address in compressed lowercase hex.
    pub host: String,
    /// The address when the host is an IP literal (in any of the forms browsers accept).
    pub ip: Option<IpAddr>,
    /// The explicit port, or the scheme's default.
    pub port: u16,
    /// The destination passed only because the allowlist names it (it would be refused
    /// otherwise); `false` for ordinary public destinations.
    pub is_allowlisted: bool,
}

/// Why a URL, or an allowlist, was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[repr(u8)]
pub enum DestinationError {
    /// The text is not an absolute URL of the form `scheme://host[:port][/path][?query]`.
    InvalidUrl = 201,
    /// The URL is longer than [`MAX_URL_LEN`] bytes.
    UrlTooLong = 202,
    /// The scheme is not `http` or `https`.
    UnsupportedScheme = 203,
    /// The URL carries a user name or password (`user:pass@host`).
    CredentialsInUrl = 204,
    /// The URL has no host.
    MissingHost = 205,
    /// The host is neither a valid DNS name nor an IP address, or uses a form refused as
    /// ambiguous (percent-encoding, an IPv6 zone id, non-ASCII characters).
    InvalidHost = 206,
    /// The port is not a number from 1 to 65535.
    InvalidPort = 207,
    /// The host is a loopback address (`127.0.0.0/8`, `::1`).
    LoopbackAddress = 208,
    /// The host is a private-network address (RFC 1918, CGNAT `100.64.0.0/10`, `fc00::/7`,
    /// site-local `fec0::/10`).
    PrivateAddress = 209,
    /// The host is a link-local address (`169.254.0.0/16`, where cloud metadata lives, and
    /// `fe80::/10`).
    LinkLocalAddress = 210,
    /// The host is an unspecified, special-purpose, documentation, benchmarking, multicast,
    /// reserved or broadcast address, or a tunnel form that hides where it leads.
    ReservedAddress = 211,
    /// The host name is local or internal: see [`INTERNAL_SUFFIXES`], plus single-label names.
    InternalHostName = 212,
    /// An `SSRF_ALLOWLIST` entry is not a host name, IP address or CIDR range, or its port is
    /// invalid.
    InvalidAllowlist = 213,
}

impl DestinationError {
    /// Every variant, for mapping numeric ids back.
    pub const ALL: [DestinationError; 13] = [
        Self::InvalidUrl,
        Self::UrlTooLong,
        Self::UnsupportedScheme,
        Self::CredentialsInUrl,
        Self::MissingHost,
        Self::InvalidHost,
        Self::InvalidPort,
        Self::LoopbackAddress,
        Self::PrivateAddress,
        Self::LinkLocalAddress,
        Self::ReservedAddress,
        Self::InternalHostName,
        Self::InvalidAllowlist,
    ];

    /// The numeric id used across the wasm boundary (disjoint from the other error ids).
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The variant with numeric id `id`.
    pub fn from_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.id() == id)
    }

    /// A stable identifier.
    pub const fn code(self) -> &'static str {
        match self {
            Self::InvalidUrl => "invalid_url",
            Self::UrlTooLong => "url_too_long",
            Self::UnsupportedScheme => "unsupported_scheme",
            Self::CredentialsInUrl => "credentials_in_url",
            Self::MissingHost => "missing_host",
            Self::InvalidHost => "invalid_host",
            Self::InvalidPort => "invalid_port",
            Self::LoopbackAddress => "loopback_address",
            Self::PrivateAddress => "private_address",
            Self::LinkLocalAddress => "link_local_address",
            Self::ReservedAddress => "reserved_address",
            Self::InternalHostName => "internal_host_name",
            Self::InvalidAllowlist => "invalid_allowlist",
        }
    }

    /// A human-readable explanation.
    pub const fn message(self) -> &'static str {
        match self {
            Self::InvalidUrl => {
                "URL is not of the form http(s)://host[:port][/path], or contains whitespace, \
                 control characters or backslashes"
            }
            Self::UrlTooLong => "URL is longer than 2048 bytes",
            Self::UnsupportedScheme => "URL scheme must be http or https",
            Self::CredentialsInUrl => "URL must not contain a user name or password",
            Self::MissingHost => "URL has no host",
            Self::InvalidHost => {
                "URL host is not a valid host name or IP address (percent-encoding, zone ids \
                 and non-ASCII names are refused: use punycode)"
            }
            Self::InvalidPort => "URL port must be a number from 1 to 65535",
            Self::LoopbackAddress => "URL host is a loopback address",
            Self::PrivateAddress => "URL host is a private network address",
            Self::LinkLocalAddress => {
                "URL host is a link-local address (such as the cloud metadata service)"
            }
            Self::ReservedAddress => {
                "URL host is an unspecified, reserved, documentation, multicast or broadcast \
                 address"
            }
            Self::InternalHostName => {
                "URL host name is local or internal (localhost, .local, .internal, .home.arpa, \
                 metadata, or a single label without a dot)"
            }
            Self::InvalidAllowlist => {
                "SSRF allowlist entries must be host names, IP addresses or CIDR ranges, \
                 optionally with :port"
            }
        }
    }
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for DestinationError {}

/// Destinations let through even though they are private: the `SSRF_ALLOWLIST` setting.
///
/// Entries are separated by commas and/or whitespace. Each is an exact host name (compared
/// case-insensitively, a trailing dot ignored: `localhost`, `hooks.internal.example`), an IP
/// address (`127.0.0.1`, `::1`, `[::1]`) or a CIDR range (`10.0.0.0/8`, `fd00::/8`; host bits
/// are ignored), optionally followed by `:port` to allow only that port (`127.0.0.1:8080`,
/// `[::1]:8080`, `10.0.0.0/8:8443`, `[fd00::/8]:8443`, `localhost:3000`). A bare IPv6 address or
/// range takes no port; bracket it to add one. IP entries match the address a URL decodes to, whatever its
/// spelling (`http://2130706433/` matches `127.0.0.1`), and IPv4 entries also match the
/// IPv4-mapped IPv6 form. The default is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Allowlist {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    target: Target,
    port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// A host name, lowercase, without a trailing dot.
    Name(String),
    /// An address range; a single address has the full prefix length.
    Net(IpAddr, u8),
}

impl Allowlist {
    /// Parses the comma- and/or whitespace-separated list; empty text gives an empty list.
    pub fn parse(text: &str) -> Result<Self, DestinationError> {
        let entries = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .map(|entry| parse_entry(entry).ok_or(DestinationError::InvalidAllowlist))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { entries })
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn permits(&self, host: &Host, port: u16) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.port.is_none_or(|p| p == port) && entry.target.matches(host))
    }
}

impl Target {
    fn matches(&self, host: &Host) -> bool {
        match (self, host) {
            (Self::Name(name), Host::Name(host)) => name == without_trailing_dot(host),
            (Self::Net(base, prefix), Host::Ip(ip)) => {
                in_net(*ip, *base, *prefix)
                    || match ip {
                        IpAddr::V6(v6) => v6
                            .to_ipv4_mapped()
                            .is_some_and(|v4| in_net(IpAddr::V4(v4), *base, *prefix)),
                        IpAddr::V4(_) => false,
                    }
            }
            _ => false,
        }
    }
}

fn parse_entry(text: &str) -> Option<Entry> {
    // (address, prefix length, port, bracketed)
    let (address, prefix, port, bracketed) = if let Some(rest) = text.strip_prefix('[') {
        // `[v6]`, `[v6/len]` or `[v6]/len`, then an optional `:port`.
        let (inside, after) = rest.split_once(']')?;
        let (after, port) = match after.split_once(':') {
            Some((after, port)) => (after, Some(parse_port_number(port)?)),
            None => (after, None),
        };
        let (address, prefix) = match (inside.split_once('/'), after) {
            (Some((address, prefix)), "") => (address, Some(prefix)),
            (None, "") => (inside, None),
            (None, _) => (inside, Some(after.strip_prefix('/')?)),
            (Some(_), _) => return None,
        };
        (address, prefix, port, true)
    } else {
        let (rest, port) = if text.matches(':').count() > 1 {
            (text, None) // a bare IPv6 address or range takes no port
        } else if let Some((rest, port)) = text.split_once(':') {
            (rest, Some(parse_port_number(port)?))
        } else {
            (text, None)
        };
        match rest.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix), port, false),
            None => (rest, None, port, false),
        }
    };
    let target = if let Some(prefix) = prefix {
        let base = parse_ip_entry(address, bracketed)?;
        let prefix = parse_decimal(prefix).filter(|&p| p <= u64::from(full_prefix(base)))?;
        let prefix = u8::try_from(prefix).ok()?;
        Target::Net(mask(base, prefix), prefix)
    } else if bracketed || address.contains(':') {
        let ip = parse_ip_entry(address, bracketed)?;
        Target::Net(ip, full_prefix(ip))
    } else {
        match parse_host(address).ok()? {
            Host::Ip(ip) => Target::Net(ip, full_prefix(ip)),
            Host::Name(name) => Target::Name(without_trailing_dot(&name).to_string()),
        }
    };
    Some(Entry { target, port })
}

fn parse_ip_entry(text: &str, bracketed: bool) -> Option<IpAddr> {
    if bracketed || text.contains(':') {
        text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        match parse_host(text).ok()? {
            Host::Ip(ip) => Some(ip),
            Host::Name(_) => None,
        }
    }
}

/// Checks an endpoint URL before it is saved or delivered to.
///
/// Returns where it leads, or why it is refused: a malformed or ambiguous URL always is; a
/// loopback, private, link-local or reserved address or an internal host name is unless `allow`
/// names it (with its port, if the entry gives one).
pub fn check_url(url: &str, allow: &Allowlist) -> Result<Destination, DestinationError> {
    let parsed = parse_url(url)?;
    // Allowlisted means: refused by the rules, let through by the list.
    let is_allowlisted = match check_host(&parsed.host) {
        Ok(()) => false,
        Err(_) if allow.permits(&parsed.host, parsed.port) => true,
        Err(error) => return Err(error),
    };
    let (host, ip) = match parsed.host {
        Host::Ip(ip) => (serialize_ip(ip), Some(ip)),
        Host::Name(name) => (name, None),
    };
    Ok(Destination {
        scheme: parsed.scheme,
        host,
        ip,
        port: parsed.port,
        is_allowlisted,
    })
}

/// Whether `url` leads back to the service that `own_url` (the URL of the request being served)
/// reached: the same host and port, read the way [`check_url`] reads them, so
/// `http://0x7f000001:8787/` is `http://127.0.0.1:8787/`. Loopback addresses (`127.0.0.0/8`,
/// `::1`, their IPv4-mapped forms) and `localhost` names count as one host, since each of them
/// reaches a service listening on loopback. An endpoint at such a URL would deliver into the
/// service's own form routes, a loop; `false` when either URL does not parse.
pub fn is_same_service(url: &str, own_url: &str) -> bool {
    let (Ok(target), Ok(own)) = (parse_url(url), parse_url(own_url)) else {
        return false;
    };
    target.port == own.port
        && (same_host(&target.host, &own.host)
            || (is_loopback(&target.host) && is_loopback(&own.host)))
}

fn same_host(a: &Host, b: &Host) -> bool {
    match (a, b) {
        (Host::Ip(a), Host::Ip(b)) => unmapped(*a) == unmapped(*b),
        (Host::Name(a), Host::Name(b)) => {
            without_trailing_dot(a).eq_ignore_ascii_case(without_trailing_dot(b))
        }
        _ => false,
    }
}

fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn is_loopback(host: &Host) -> bool {
    match host {
        Host::Ip(ip) => unmapped(*ip).is_loopback(),
        Host::Name(name) => {
            let name = without_trailing_dot(name).to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// Whether an address is refused as a destination: loopback, private, link-local or reserved,
/// directly or through an IPv6 form that embeds such an IPv4 address.
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    check_ip(ip).is_err()
}

/// Why an address is refused as a destination (see [`is_forbidden_ip`]), or `Ok` for a public
/// one. Useful to check an address a host name resolved to.
pub fn check_ip(ip: IpAddr) -> Result<(), DestinationError> {
    match ip {
        IpAddr::V4(v4) => check_ipv4(v4),
        IpAddr::V6(v6) => check_ipv6(v6),
    }
}

/// Why a host name is refused as internal, or `Ok`. The name is compared case-insensitively and
/// a trailing dot is ignored; it is not resolved.
pub fn check_host_name(name: &str) -> Result<(), DestinationError> {
    let name = without_trailing_dot(name).to_ascii_lowercase();
    let internal = !name.contains('.')
        || INTERNAL_SUFFIXES.iter().any(|suffix| {
            name.strip_suffix(suffix)
                .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
        });
    if internal {
        Err(DestinationError::InternalHostName)
    } else {
        Ok(())
    }
}

fn check_host(host: &Host) -> Result<(), DestinationError> {
    match host {
        Host::Ip(ip) => check_ip(*ip),
        Host::Name(name) => check_host_name(name),
    }
}

// ---------------------------------------------------------------------------------------------
// Address ranges

type V4Range = (u32, u8, DestinationError);
type V6Range = (u128, u8, DestinationError);

const fn v4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    Ipv4Addr::new(a, b, c, d).to_bits()
}

/// An IPv6 prefix from its first three pieces.
const fn v6(a: u16, b: u16, c: u16) -> u128 {
    Ipv6Addr::new(a, b, c, 0, 0, 0, 0, 0).to_bits()
}

const V4_RANGES: [V4Range; 16] = {
    use DestinationError::{LinkLocalAddress, LoopbackAddress, PrivateAddress, ReservedAddress};
    [
        (v4(0, 0, 0, 0), 8, ReservedAddress), // "this network"; 0.0.0.0 reaches the host
        (v4(10, 0, 0, 0), 8, PrivateAddress), // RFC 1918
        (v4(100, 64, 0, 0), 10, PrivateAddress), // CGNAT shared address space
        (v4(127, 0, 0, 0), 8, LoopbackAddress), // loopback
        (v4(169, 254, 0, 0), 16, LinkLocalAddress), // link-local, cloud metadata
        (v4(172, 16, 0, 0), 12, PrivateAddress), // RFC 1918
        (v4(192, 0, 0, 0), 24, ReservedAddress), // IETF protocol assignments
        (v4(192, 0, 2, 0), 24, ReservedAddress), // TEST-NET-1
        (v4(192, 88, 99, 0), 24, ReservedAddress), // deprecated 6to4 relay anycast
        (v4(192, 168, 0, 0), 16, PrivateAddress), // RFC 1918
        (v4(198, 18, 0, 0), 15, ReservedAddress), // benchmarking
        (v4(198, 51, 100, 0), 24, ReservedAddress), // TEST-NET-2
        (v4(203, 0, 113, 0), 24, ReservedAddress), // TEST-NET-3
        (v4(224, 0, 0, 0), 4, ReservedAddress), // multicast
        (v4(240, 0, 0, 0), 4, ReservedAddress), // reserved
        (v4(255, 255, 255, 255), 32, ReservedAddress), // broadcast (inside 240/4 too)
    ]
};

const V6_RANGES: [V6Range; 11] = {
    use DestinationError::{LinkLocalAddress, LoopbackAddress, PrivateAddress, ReservedAddress};
    [
        (0, 128, ReservedAddress),                   // unspecified ::
        (1, 128, LoopbackAddress),                   // ::1
        (v6(0x100, 0, 0), 64, ReservedAddress),      // discard-only
        (v6(0x64, 0xff9b, 1), 48, ReservedAddress),  // local-use NAT64
        (v6(0x2001, 0, 0), 32, ReservedAddress),     // Teredo
        (v6(0x2001, 0xdb8, 0), 32, ReservedAddress), // documentation
        (v6(0x3fff, 0, 0), 20, ReservedAddress),     // documentation (RFC 9637)
        (v6(0xfc00, 0, 0), 7, PrivateAddress),       // unique local
        (v6(0xfe80, 0, 0), 10, LinkLocalAddress),    // link-local
        (v6(0xfec0, 0, 0), 10, PrivateAddress),      // deprecated site-local
        (v6(0xff00, 0, 0), 8, ReservedAddress),      // multicast
    ]
};

fn v4_mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn v6_mask(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

fn check_ipv4(ip: Ipv4Addr) -> Result<(), DestinationError> {
    let n = u32::from(ip);
    match V4_RANGES
        .iter()
        .find(|(base, prefix, _)| n & v4_mask(*prefix) == *base)
    {
        Some((_, _, error)) => Err(*error),
        None => Ok(()),
    }
}

fn check_ipv6(ip: Ipv6Addr) -> Result<(), DestinationError> {
    let n = u128::from(ip);
    let in_range = |(base, prefix, _): &&V6Range| n & v6_mask(*prefix) == *base;
    if let Some((_, _, error)) = V6_RANGES.iter().find(in_range) {
        return Err(*error);
    }
    match embedded_ipv4(n) {
        Some(v4) => check_ipv4(v4),
        None => Ok(()),
    }
}

/// The /96 prefixes whose low 32 bits are an IPv4 address the packet ends up at: IPv4-mapped
/// `::ffff:0:0/96`, IPv4-compatible `::/96` (`::` and `::1` are ranges of their own),
/// IPv4-translated `::ffff:0:0:0/96` and NAT64 `64:ff9b::/96`.
const EMBEDDING_96: [u128; 4] = [
    Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0).to_bits(),
    0,
    Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0).to_bits(),
    Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0).to_bits(),
];

/// The IPv4 address inside the IPv6 forms that lead to it.
fn embedded_ipv4(n: u128) -> Option<Ipv4Addr> {
    // The casts keep the low 32 bits on purpose.
    if EMBEDDING_96.contains(&(n & v6_mask(96))) {
        Some(Ipv4Addr::from(n as u32))
    } else if n & v6_mask(16) == v6(0x2002, 0, 0) {
        // 6to4: 2002:AABB:CCDD::/48 leads to AA.BB.CC.DD.
        Some(Ipv4Addr::from((n >> 80) as u32))
    } else {
        None
    }
}

fn full_prefix(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(u32::from(v4) & v4_mask(prefix))),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & v6_mask(prefix))),
    }
}

fn in_net(ip: IpAddr, base: IpAddr, prefix: u8) -> bool {
    match (ip, base) {
        (IpAddr::V4(ip), IpAddr::V4(base)) => {
            u32::from(ip) & v4_mask(prefix) == u32::from(base) & v4_mask(prefix)
        }
        (IpAddr::V6(ip), IpAddr::V6(base)) => {
            u128::from(ip) & v6_mask(prefix) == u128::from(base) & v6_mask(prefix)
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// URL parsing

#[derive(Clone, Debug, PartialEq, Eq)]
enum Host {
    /// Lowercase ASCII, a trailing dot kept as in the URL.
    Name(String),
    Ip(IpAddr),
}

struct ParsedUrl {
    scheme: UrlScheme,
    host: Host,
    port: u16,
}

fn parse_url(url: &str) -> Result<ParsedUrl, DestinationError> {
    use DestinationError::{
        CredentialsInUrl, InvalidHost, InvalidUrl, MissingHost, UnsupportedScheme, UrlTooLong,
    };
    if url.len() > MAX_URL_LEN {
        return Err(UrlTooLong);
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidUrl);
    }
    let (scheme, rest) = url.split_once(':').ok_or(InvalidUrl)?;
    let mut scheme_chars = scheme.chars();
    let well_formed = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !well_formed {
        return Err(InvalidUrl);
    }
    let scheme = if scheme.eq_ignore_ascii_case("http") {
        UrlScheme::Http
    } else if scheme.eq_ignore_ascii_case("https") {
        UrlScheme::Https
    } else {
        return Err(UnsupportedScheme);
    };
    // Browsers read `\` as `/` before the query of http(s) URLs; other parsers do not.
    let before_query = rest.split(['?', '#']).next().unwrap_or_default();
    if before_query.contains('\\') {
        return Err(InvalidUrl);
    }
    let rest = rest.strip_prefix("//").ok_or(InvalidUrl)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(CredentialsInUrl);
    }
    if authority.is_empty() {
        return Err(MissingHost);
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (inside, after) = bracketed.split_once(']').ok_or(InvalidHost)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(InvalidHost)?),
        };
        if inside.contains('%') {
            return Err(InvalidHost); // zone id or percent-encoding
        }
        let ip = inside.parse::<Ipv6Addr>().map_err(|_| InvalidHost)?;
        (Host::Ip(IpAddr::V6(ip)), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() {
            return Err(MissingHost);
        }
        (parse_host(host)?, port)
    };
    let port = match port {
        None | Some("") => scheme.default_port(),
        Some(text) => parse_port_number(text).ok_or(DestinationError::InvalidPort)?,
    };
    Ok(ParsedUrl { scheme, host, port })
}

fn parse_port_number(text: &str) -> Option<u16> {
    parse_decimal(text)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|&n| n != 0)
}

/// ASCII digits only, at least one, saturating at `u64::MAX`.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.chars().try_fold(0u64, |n, c| {
        let digit = c.to_digit(10)?;
        Some(n.saturating_mul(10).saturating_add(u64::from(digit)))
    })
}

/// A host outside brackets, as the WHATWG host parser reads it: a name that ends in a number is
/// an IPv4 address in one of the legacy forms, or invalid.
fn parse_host(text: &str) -> Result<Host, DestinationError> {
    let valid_chars = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !valid_chars {
        return Err(DestinationError::InvalidHost);
    }
    let name = text.to_ascii_lowercase();
    if ends_in_number(&name) {
        return parse_ipv4(&name)
            .map(|ip| Host::Ip(IpAddr::V4(ip)))
            .ok_or(DestinationError::InvalidHost);
    }
    let bare = without_trailing_dot(&name);
    let valid_name = !bare.is_empty()
        && bare.len() <= 253
        && bare
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63);
    if valid_name {
        Ok(Host::Name(name))
    } else {
        Err(DestinationError::InvalidHost)
    }
}

fn without_trailing_dot(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

/// The labels of a would-be IPv4 host, without the one empty label a trailing dot leaves.
fn ipv4_parts(host: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = host.split('.').collect();
    if parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// WHATWG "ends in a number checker".
fn ends_in_number(host: &str) -> bool {
    match ipv4_parts(host).last() {
        Some(last) => {
            (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
                || parse_ipv4_number(last).is_some()
        }
        None => false,
    }
}

/// WHATWG "IPv4 number parser": `0x` hex, leading-zero octal or decimal; saturates, so an
/// overflowing part fails the range checks as it does in the standard.
fn parse_ipv4_number(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let (digits, radix) =
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            (hex, 16)
        } else if text.len() >= 2 && text.starts_with('0') {
            (text.get(1..)?, 8)
        } else {
            (text, 10)
        };
    digits.chars().try_fold(0u64, |n, c| {
        let digit = c.to_digit(radix)?;
        Some(
            n.saturating_mul(u64::from(radix))
                .saturating_add(u64::from(digit)),
        )
    })
}

/// WHATWG "IPv4 parser": one to four parts; all but the last at most 255, the last filling the
/// remaining bytes (`127.1`, `2130706433`).
fn parse_ipv4(host: &str) -> Option<Ipv4Addr> {
    let parts = ipv4_parts(host);
    if parts.len() > 4 {
        return None;
    }
    let numbers = parts
        .iter()
        .map(|part| parse_ipv4_number(part))
        .collect::<Option<Vec<u64>>>()?;
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|&n| n > 255) {
        return None;
    }
    let remaining_bytes = 4 - leading.len();
    let limit = 1u64 << (8 * remaining_bytes);
    if *last >= limit {
        return None;
    }
    let address = leading
        .iter()
        .zip((1..=3u32).rev())
        .fold(*last, |sum, (&n, byte)| sum + (n << (8 * byte)));
    u32::try_from(address).ok().map(Ipv4Addr::from)
}

/// The WHATWG serialization of a host IP, without brackets: IPv6 as eight hex pieces with the
/// first longest run of two or more zero pieces compressed, never in dotted-quad form.
fn serialize_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            // (start, length) of the first longest run of zeros.
            let mut best: Option<(usize, usize)> = None;
            let mut run: Option<(usize, usize)> = None;
            for (i, &segment) in segments.iter().enumerate() {
                run = match (segment, run) {
                    (0, Some((start, len))) => Some((start, len + 1)),
                    (0, None) => Some((i, 1)),
                    _ => None,
                };
                if let Some((start, len)) = run {
                    if len >= 2 && best.is_none_or(|(_, best_len)| len > best_len) {
                        best = Some((start, len));
                    }
                }
            }
            let mut out = String::new();
            for (index, segment) in segments.iter().enumerate() {
                if let Some((start, len)) = best {
                    if index == start {
                        out.push_str(if start == 0 { "::" } else { ":" });
                    }
                    if (start..start + len).contains(&index) {
                        continue;
                    }
                }
                let _ = write!(out, "{segment:x}");
                if index != 7 {
                    out.push(':');
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> Destination {
        match check_url(url, &Allowlist::default()) {
            Ok(destination) => destination,
            Err(e) => panic!("{url}: {e:?}"),
        }
    }

    fn err(url: &str) -> DestinationError {
        match check_url(url, &Allowlist::default()) {
            Ok(destination) => panic!("{url}: accepted as {destination:?}"),
            Err(e) => e,
        }
    }

    fn allowed(url: &str, list: &str) -> Result<Destination, DestinationError> {
        check_url(url, &Allowlist::parse(list)?)
    }

    #[test]
    fn accepts_public_urls() {
        let d = ok("https://example.com/hook");
        assert_eq!(d.scheme, UrlScheme::Https);
        assert_eq!((d.host.as_str(), d.port, d.ip), ("example.com", 443, None));
        assert!(!d.is_allowlisted);
        let d = ok("HTTP://Example.COM:8080?x=1#f");
        assert_eq!(
            (d.scheme, d.host.as_str(), d.port),
            (UrlScheme::Http, "example.com", 8080)
        );
        let d = ok("http://203.0.114.5:8080/x?y=1");
        assert_eq!(d.ip, Some(IpAddr::V4(Ipv4Addr::new(203, 0, 114, 5))));
        assert_eq!(ok("https://[2606:4700::1111]/").host, "2606:4700::1111");
        assert_eq!(
            ok("https://xn--bcher-kva.example/").host,
            "xn--bcher-kva.example"
        );
        assert_eq!(ok("https://example.com:/").port, 443);
        assert_eq!(ok("https://example.com./").host, "example.com.");
    }

    #[test]
    fn decodes_legacy_ipv4_forms() {
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://017700000001/",
            "http://0x7f.0.0.1/",
            "http://0x7f000001/",
            "http://0X7F.1/",
            "http://127.1/",
            "http://127.0.1/",
            "http://127.0.0.1./",
            "http://0x7f.0x0.0.0x1/",
        ] {
            assert_eq!(err(url), DestinationError::LoopbackAddress, "{url}");
        }
        assert_eq!(parse_ipv4("0x"), Some(Ipv4Addr::new(0, 0, 0, 0)));
        assert_eq!(parse_ipv4("1.2.3.256"), None);
        assert_eq!(parse_ipv4("1.2.65536"), None);
        assert_eq!(parse_ipv4("1.2.65535"), Some(Ipv4Addr::new(1, 2, 255, 255)));
        assert_eq!(parse_ipv4("4294967296"), None);
        assert_eq!(parse_ipv4("1.2.3.4.5"), None);
        assert_eq!(parse_ipv4("1..2"), None);
        assert_eq!(err("http://1.2.3.4.5/"), DestinationError::InvalidHost);
        assert_eq!(err("http://09.0.0.1/"), DestinationError::InvalidHost);
        assert_eq!(err("http://example.0x1/"), DestinationError::InvalidHost);
        assert_eq!(
            err("http://0x00000000000000000000007f.1/"),
            DestinationError::LoopbackAddress
        );
    }

    #[test]
    fn refuses_forbidden_ipv4() {
        use DestinationError::*;
        for (ip, error) in [
            ("0.0.0.0", ReservedAddress),
            ("10.1.2.3", PrivateAddress),
            ("100.64.0.1", PrivateAddress),
            ("100.127.255.255", PrivateAddress),
            ("127.255.255.254", LoopbackAddress),
            ("169.254.169.254", LinkLocalAddress),
            ("172.16.0.1", PrivateAddress),
            ("172.31.255.255", PrivateAddress),
            ("192.0.0.192", ReservedAddress),
            ("192.0.2.1", ReservedAddress),
            ("192.168.1.1", PrivateAddress),
            ("198.18.0.1", ReservedAddress),
            ("198.19.255.255", ReservedAddress),
            ("198.51.100.7", ReservedAddress),
            ("203.0.113.9", ReservedAddress),
            ("224.0.0.1", ReservedAddress),
            ("240.0.0.1", ReservedAddress),
            ("255.255.255.255", ReservedAddress),
        ] {
            let ip: Ipv4Addr = ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
            assert_eq!(check_ip(IpAddr::V4(ip)), Err(error), "{ip}");
        }
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "203.0.114.1",
            "223.255.255.255",
        ] {
            let ip: Ipv4Addr = ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
            assert!(!is_forbidden_ip(IpAddr::V4(ip)), "{ip}");
        }
    }

    #[test]
    fn refuses_forbidden_ipv6() {
        use DestinationError::*;
        for (url, error) in [
            ("http://[::]/", ReservedAddress),
            ("http://[::1]/", LoopbackAddress),
            ("http://[0:0:0:0:0:0:0:1]/", LoopbackAddress),
            ("http://[fc00::1]/", PrivateAddress),
            ("http://[fd12:3456::1]/", PrivateAddress),
            ("http://[fe80::1]/", LinkLocalAddress),
            ("http://[ff02::1]/", ReservedAddress),
            ("http://[2001:db8::1]/", ReservedAddress),
            ("http://[::ffff:127.0.0.1]/", LoopbackAddress),
            ("http://[::ffff:7f00:1]/", LoopbackAddress),
            ("http://[::ffff:a9fe:a9fe]/", LinkLocalAddress),
            ("http://[::127.0.0.1]/", LoopbackAddress),
            ("http://[::ffff:0:10.0.0.1]/", PrivateAddress),
            ("http://[64:ff9b::10.0.0.1]/", PrivateAddress),
            ("http://[64:ff9b::7f00:1]/", LoopbackAddress),
            ("http://[2002:7f00:1::]/", LoopbackAddress),
            ("http://[2002:c0a8:101::1]/", PrivateAddress),
            ("http://[2001::1]/", ReservedAddress),
            ("http://[fd00:ec2::254]/", PrivateAddress),
        ] {
            assert_eq!(err(url), error, "{url}");
        }
        assert_eq!(ok("http://[::ffff:8.8.8.8]/").host, "::ffff:808:808");
        assert_eq!(ok("http://[64:ff9b::1.1.1.1]/").host, "64:ff9b::101:101");
        assert_eq!(ok("http://[2002:808:808::1]/").port, 80);
        assert_eq!(
            ok("https://[2606:4700:4700:0:0:0:0:1111]:8443/").host,
            "2606:4700:4700::1111"
        );
    }

    #[test]
    fn serializes_ipv6_like_whatwg() {
        for (text, expected) in [
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            ("2606:4700::1111", "2606:4700::1111"),
            ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ] {
            let ip: Ipv6Addr = text.parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
            assert_eq!(serialize_ip(IpAddr::V6(ip)), expected, "{text}");
        }
    }

    #[test]
    fn refuses_internal_names() {
        for url in [
            "http://localhost/",
            "http://LOCALHOST:3000/",
            "http://localhost./",
            "http://api.localhost/",
            "http://printer.local/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://metadata/",
            "http://instance-data/latest/",
            "http://intranet/",
            "http://router.home.arpa/",
            "http://nas.lan/",
        ] {
            assert_eq!(err(url), DestinationError::InternalHostName, "{url}");
        }
        assert_eq!(check_host_name("notlocalhost.com"), Ok(()));
        assert_eq!(check_host_name("local.example.com"), Ok(()));
        assert_eq!(check_host_name("internal.example"), Ok(()));
    }

    #[test]
    fn refuses_malformed_urls() {
        use DestinationError::*;
        for (url, error) in [
            ("", InvalidUrl),
            ("example.com/hook", InvalidUrl),
            ("ftp://example.com/", UnsupportedScheme),
            ("javascript:alert(1)", UnsupportedScheme),
            ("file:///etc/passwd", UnsupportedScheme),
            ("1http://example.com/", InvalidUrl),
            ("http:example.com", InvalidUrl),
            ("http:/example.com", InvalidUrl),
            ("http:///example.com", MissingHost),
            ("http://", MissingHost),
            ("http://:80/", MissingHost),
            ("http://user:pass@example.com/", CredentialsInUrl),
            ("http://user@example.com/", CredentialsInUrl),
            ("http://@example.com/", CredentialsInUrl),
            ("http://example.com\\@127.0.0.1/", InvalidUrl),
            ("http://example.com/a\\b", InvalidUrl),
            ("http://exa mple.com/", InvalidUrl),
            ("http://example.com/\n", InvalidUrl),
            (" http://example.com/", InvalidUrl),
            ("http://example.com/\u{a0}", InvalidUrl),
            ("http://example.com:0/", InvalidPort),
            ("http://example.com:65536/", InvalidPort),
            ("http://example.com:99999999999999999999999/", InvalidPort),
            ("http://example.com:80a/", InvalidPort),
            ("http://example.com:-1/", InvalidPort),
            ("http://1:2:3/", InvalidPort),
            ("http://%6c%6fcalhost/", InvalidHost),
            ("http://[::1%25eth0]/", InvalidHost),
            ("http://[fe80::1%25lo]/", InvalidHost),
            ("http://[::1/", InvalidHost),
            ("http://[::1]x/", InvalidHost),
            ("http://[127.0.0.1]/", InvalidHost),
            ("http://bücher.example/", InvalidHost),
            ("http://127。0。0。1/", InvalidHost),
            ("http://example..com/", InvalidHost),
            ("http://exa*mple.com/", InvalidHost),
        ] {
            assert_eq!(check_url(url, &Allowlist::default()), Err(error), "{url:?}");
        }
        let long = alloc::format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(err(&long), UrlTooLong);
        let exact = alloc::format!("https://example.com/{}", "a".repeat(MAX_URL_LEN - 20));
        assert_eq!(exact.len(), MAX_URL_LEN);
        assert_eq!(ok(&exact).port, 443);
    }

    #[test]
    fn allowlist_lets_private_destinations_through() {
        let list = "localhost, 127.0.0.1:8080 10.0.0.0/8,fd00::/8 [::1]:9000 internal.example";
        let d = allowed("http://localhost:3000/", list);
        assert!(d.as_ref().is_ok_and(|d| d.is_allowlisted), "{d:?}");
        assert!(allowed("http://LocalHost./", list).is_ok());
        assert!(allowed("http://127.0.0.1:8080/", list).is_ok());
        assert!(allowed("http://2130706433:8080/", list).is_ok());
        assert!(allowed("http://[::ffff:127.0.0.1]:8080/", list).is_ok());
        assert_eq!(
            allowed("http://127.0.0.1/", list),
            Err(DestinationError::LoopbackAddress)
        );
        assert!(allowed("http://10.20.30.40/", list).is_ok());
        assert!(allowed("http://012.1/", list).is_ok());
        assert!(allowed("http://[fd12::1]/", list).is_ok());
        assert!(allowed("http://[::1]:9000/", list).is_ok());
        assert_eq!(
            allowed("http://[::1]:9001/", list),
            Err(DestinationError::LoopbackAddress)
        );
        assert!(allowed("https://internal.example/", list).is_ok());
        assert_eq!(
            allowed("http://192.168.0.1/", list),
            Err(DestinationError::PrivateAddress)
        );
        // The allowlist never excuses a malformed URL.
        assert_eq!(
            allowed("http://user@localhost/", list),
            Err(DestinationError::CredentialsInUrl)
        );
        // Public destinations are not reported as allowlisted.
        let list = "example.com";
        assert!(allowed("https://example.com/", list).is_ok_and(|d| !d.is_allowlisted));
        assert!(allowed("http://intranet/", "intranet").is_ok_and(|d| d.is_allowlisted));
    }

    #[test]
    fn parses_allowlists() {
        assert!(Allowlist::parse("").is_ok_and(|a| a.is_empty()));
        assert!(Allowlist::parse(" , ,\n").is_ok_and(|a| a.is_empty()));
        assert!(Allowlist::parse("10.0.0.1/8").is_ok_and(|a| a.len() == 1));
        let list = "::1 ::/0 0.0.0.0/0 [fd00::]/8:443 [fd00::/8]:443 [fd00::/8] 10.0.0.0/8:8443";
        assert!(Allowlist::parse(list).is_ok_and(|a| a.len() == 7));
        assert_eq!(
            Allowlist::parse("[fd00::]/8:443"),
            Allowlist::parse("[fd00::/8]:443")
        );
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "/8",
            "host:0",
            "host:65536",
            "host:",
            "[::1",
            "[::1]8080",
            "[::1/8]/8",
            "[10.0.0.1]",
            "[localhost]",
            "example.com/8",
            "bad_entry!",
            "%6c",
            "1.2.3.256",
            "a:b:c",
        ] {
            assert_eq!(
                Allowlist::parse(bad),
                Err(DestinationError::InvalidAllowlist),
                "{bad}"
            );
        }
    }

    #[test]
    fn error_ids_and_codes_are_unique() {
        for (i, a) in DestinationError::ALL.iter().enumerate() {
            assert_eq!(DestinationError::from_id(a.id()), Some(*a));
            assert!(!a.message().is_empty());
            assert_eq!(alloc::format!("{a}"), a.message());
            for b in DestinationError::ALL.iter().skip(i + 1) {
                assert_ne!(a.code(), b.code());
            }
        }
    }

    #[test]
    fn the_same_service_is_recognised_however_written() {
        let own = "http://127.0.0.1:8787/api/forms/x/endpoints";
        for url in [
            "http://127.0.0.1:8787/f/x",
            "HTTP://0x7f000001:8787/./f/x",
            "http://127.0.0.2:8787/f/x",
            "http://[::ffff:127.0.0.1]:8787/f/x",
            "http://[::1]:8787/f/x",
            "http://localhost:8787/f/x",
            "https://127.0.0.1:8787/",
        ] {
            assert!(is_same_service(url, own), "{url}");
        }
        for url in [
            "http://127.0.0.1:8788/f/x",
            "http://127.0.0.1/f/x",
            "http://example.com:8787/f/x",
            "not a url",
        ] {
            assert!(!is_same_service(url, own), "{url}");
        }
        let own = "https://forms.example.com/api/forms";
        assert!(is_same_service("https://FORMS.example.com./f/a", own));
        assert!(is_same_service("http://forms.example.com:443/f/a", own));
        assert!(!is_same_service("https://forms.example.com:8443/f/a", own));
        assert!(!is_same_service("https://example.com/f/a", own));
    }
}
