//! Tab completion in the console: verbs at the start of a line, known addresses in paths.

const VERBS: [&str; 14] = ["HELO ", "EHLO ", "MAIL FROM:<", "RCPT TO:<", "DATA", "BDAT ", "RSET", "NOOP", "QUIT", "VRFY ", "EXPN ", "HELP", "AUTH ", "STARTTLS"];

/// Tab completion: verbs at the start of the line, addresses after `FROM:<` or `TO:<`.
pub fn complete(text: &str, addresses: &[String]) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    for prefix in ["MAIL FROM:<", "RCPT TO:<"] {
        if upper.starts_with(prefix) {
            let typed = &text[prefix.len()..];
            return addresses
                .iter()
                .find(|a| a.to_ascii_lowercase().starts_with(&typed.to_ascii_lowercase()) && a.len() > typed.len())
                .map(|a| format!("{}{a}>", &text[..prefix.len()]));
        }
    }
    if text.is_empty() || text.contains(' ') && !upper.starts_with("MAIL") && !upper.starts_with("RCPT") {
        return None;
    }
    VERBS.iter().find(|v| v.starts_with(&upper) && v.len() > upper.len()).map(|v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::complete;

    #[test]
    fn tab_completes_verbs_and_addresses() {
        assert_eq!(complete("ma", &[]).as_deref(), Some("MAIL FROM:<"));
        assert_eq!(complete("STARTT", &[]).as_deref(), Some("STARTTLS"));
        let known = vec!["alice@playground.test".to_string()];
        assert_eq!(complete("RCPT TO:<al", &known).as_deref(), Some("RCPT TO:<alice@playground.test>"));
        assert_eq!(complete("NOOP x", &known), None);
        assert_eq!(complete("", &known), None);
    }
}
