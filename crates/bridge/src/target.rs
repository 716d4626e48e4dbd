//! Which servers the bridge may connect to: the allow-list, and the addresses refused after DNS
//! resolution (private, loopback, link-local, multicast) unless `--allow-private`. The address
//! that was checked is the one connected to, so DNS rebinding cannot slip past.

use std::net::{IpAddr, SocketAddr};

/// One allow-list entry: `host:port`, with `*.` for any subdomain and `*` for any port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    host: String,
    port: Option<u16>,
}

impl std::str::FromStr for Allowed {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (host, port) = text.rsplit_once(':').ok_or_else(|| format!("`{text}`: write host:port, e.g. mail.example.org:25 or *.example.org:587"))?;
        let port = match port {
            "*" => None,
            p => Some(p.parse().map_err(|_| format!("`{text}`: `{p}` is not a port"))?),
        };
        // A `*` only as the whole first label: `*.example.org`.
        let wildcard_ok = host.strip_prefix("*.").is_some_and(|rest| !rest.contains('*'));
        if host.is_empty() || (host.contains('*') && !wildcard_ok) {
            return Err(format!("`{text}`: the host may only start with `*.`"));
        }
        Ok(Allowed { host: host.to_ascii_lowercase(), port })
    }
}

impl Allowed {
    pub fn permits(&self, host: &str, port: u16) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let host_ok = match self.host.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => host == self.host,
        };
        host_ok && self.port.is_none_or(|p| p == port)
    }
}

/// Whether `host` can be a host name or an address literal at all: letters, digits, `-` and
/// `.` (a name or IPv4), or hex digits and `:` (IPv6, with or without brackets), at most 253
/// characters. Anything else (spaces, NULs, `@`, `/`) is refused before the allow-list or DNS
/// see it.
pub fn valid_host(host: &str) -> bool {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let name = !bare.is_empty() && bare.len() <= 253 && bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let ipv6 = bare.contains(':') && bare.len() <= 45 && bare.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    name || ipv6
}

/// Reads an allow-list file: one `host:port` pattern a line; `#` starts a comment. An error names
/// the file and the line.
pub fn read_allow_file(path: &std::path::Path) -> Result<Vec<Allowed>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_allow_list(&text).map_err(|(line, message)| format!("{}:{line}: {message}", path.display()))
}

/// The allow-list text of a file: (line number, message) for the first bad entry.
pub fn parse_allow_list(text: &str) -> Result<Vec<Allowed>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        if !entry.is_empty() {
            out.push(entry.parse().map_err(|e| (i + 1, e))?);
        }
    }
    Ok(out)
}

/// Why an address may not be used without `--allow-private`.
pub fn restricted(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_loopback() {
                Some("a loopback address")
            } else if v4.is_private() {
                Some("a private-network address")
            } else if v4.is_link_local() {
                Some("a link-local address")
            } else if v4.is_multicast() || v4.is_broadcast() {
                Some("a multicast or broadcast address")
            } else if v4.is_unspecified() || v4.octets()[0] == 0 {
                Some("an unspecified address")
            } else if v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) {
                Some("a shared (carrier-grade NAT) address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return restricted(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("an unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if first & 0xffc0 == 0xfe80 {
                Some("a link-local address")
            } else if first & 0xfe00 == 0xfc00 {
                Some("a private-network (unique local) address")
            } else {
                None
            }
        }
    }
}

/// The first resolved address that may be used; or why none may.
pub fn choose(addresses: &[SocketAddr], allow_private: bool) -> Result<SocketAddr, String> {
    let mut refused = None;
    for address in addresses {
        match restricted(address.ip()) {
            Some(why) if !allow_private => refused = Some(format!("{} is {why}; start smtp-bridge with --allow-private to allow it", address.ip())),
            _ => return Ok(*address),
        }
    }
    Err(refused.unwrap_or_else(|| "the name resolved to no address".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_patterns() {
        let exact: Allowed = "mail.example.org:25".parse().unwrap();
        assert!(exact.permits("MAIL.example.org", 25));
        assert!(!exact.permits("mail.example.org", 587));
        assert!(!exact.permits("evil-mail.example.org", 25));
        let wild: Allowed = "*.example.org:587".parse().unwrap();
        assert!(wild.permits("smtp.example.org", 587));
        assert!(!wild.permits("example.org", 587));
        assert!(!wild.permits("smtp.example.org.evil.net", 587));
        let any_port: Allowed = "localhost:*".parse().unwrap();
        assert!(any_port.permits("localhost", 2525));
        assert!("mail.example.org".parse::<Allowed>().is_err());
        assert!("*evil:25".parse::<Allowed>().is_err());
        assert!("a.*.org:25".parse::<Allowed>().is_err());
    }

    #[test]
    fn allow_list_files() {
        let list = parse_allow_list("# the lab servers\nmail.example.org:25\n\n*.lab.example:587  # submission\n").unwrap();
        assert_eq!(list.len(), 2);
        assert!(list[1].permits("smtp.lab.example", 587));
        assert_eq!(parse_allow_list("ok.example:25\nbroken\n").unwrap_err().0, 2);
    }

    #[test]
    fn private_addresses_are_refused_unless_allowed() {
        for ip in ["127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1", "169.254.1.1", "224.0.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "100.64.0.1"] {
            assert!(restricted(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in ["93.184.216.34", "2001:4860:4860::8888"] {
            assert!(restricted(ip.parse().unwrap()).is_none(), "{ip}");
        }
        let local: SocketAddr = "127.0.0.1:25".parse().unwrap();
        assert!(choose(&[local], false).unwrap_err().contains("--allow-private"));
        assert_eq!(choose(&[local], true), Ok(local));
    }
}
