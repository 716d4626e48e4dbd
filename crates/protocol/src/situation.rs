//! [`Situation`]: why the simulated server replies what it replies — the closed list of every
//! reply it can produce. Wording ([`crate::wording`]) and explanations ([`crate::explain`]) are
//! both keyed on it, so a reply without an explanation cannot be written.

use serde::{Deserialize, Serialize};

macro_rules! situations {
    ($($name:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Situation { $($name),* }

        impl Situation {
            /// Every situation, for tests and the reference page.
            pub const ALL: &'static [Situation] = &[$(Situation::$name),*];

            /// A stable id, used as the explanation id in transcripts.
            pub fn id(self) -> &'static str {
                match self { $(Situation::$name => stringify!($name)),* }
            }
        }
    };
}

situations! {
    Greeting,
    HeloAccepted,
    EhloAccepted,
    SenderAccepted,
    RecipientAccepted,
    StartMailInput,
    MessageQueued,
    ChunkAccepted,
    LastChunkQueued,
    ResetDone,
    NoopDone,
    Closing,
    HelpText,
    VrfyAmbiguous,
    VrfyKnown,
    VrfyUnknown,
    VrfyDisabled,
    ExpnDisabled,
    TlsReady,
    TlsUnavailable,
    TlsAlreadyActive,
    AuthUsernamePrompt,
    AuthPasswordPrompt,
    AuthPlainPrompt,
    AuthSucceeded,
    AuthFailed,
    AuthCancelled,
    AuthBadBase64,
    AuthMechanismUnsupported,
    AuthAlreadyDone,
    AuthNotEnabled,
    AuthNeedsTls,
    AuthDuringTransaction,
    AuthRequired,
    AuthNeedsEhlo,
    EtrnRefused,
    EtrnDuringTransaction,
    HeloRequired,
    MailRequired,
    RecipientRequired,
    NoValidRecipients,
    NestedMail,
    BdatInProgress,
    UnknownCommand,
    NotImplemented,
    QueueListed,
    TicketNoted,
    VerboseOn,
    VerboseOff,
    NonSmtpCommand,
    EmptyCommand,
    SyntaxError,
    GreetingSyntax,
    SenderSyntax,
    RecipientSyntax,
    ParameterUnknown,
    ParameterNotOffered,
    CommandLineTooLong,
    RelayDenied,
    UserUnknown,
    Greylisted,
    TooManyRecipients,
    DeclaredSizeTooBig,
    MessageTooBig,
    TextLineTooLong,
    Utf8NotDeclared,
    MessageIdMissing,
    IdleTimeout,
    TooManyErrors,
}

impl Situation {
    pub fn from_id(id: &str) -> Option<Situation> {
        Situation::ALL.iter().copied().find(|s| s.id() == id)
    }

    /// The server closes the connection right after this reply.
    pub(crate) fn closes_connection(self) -> bool {
        matches!(self, Situation::Closing | Situation::IdleTimeout | Situation::TooManyErrors | Situation::NonSmtpCommand)
    }

    /// Counts toward the bad-command limit (as Postfix counts its "errors").
    pub(crate) fn is_client_error(self) -> bool {
        matches!(
            self,
            Situation::UnknownCommand
                | Situation::EmptyCommand
                | Situation::SyntaxError
                | Situation::GreetingSyntax
                | Situation::SenderSyntax
                | Situation::RecipientSyntax
                | Situation::ParameterUnknown
                | Situation::ParameterNotOffered
                | Situation::CommandLineTooLong
                | Situation::HeloRequired
                | Situation::MailRequired
                | Situation::RecipientRequired
                | Situation::NoValidRecipients
                | Situation::NestedMail
                | Situation::BdatInProgress
                | Situation::AuthFailed
                | Situation::AuthBadBase64
        )
    }
}
