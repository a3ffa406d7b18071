//! libipvs error texts as data (ipvsadm-spec §6.2) and the failure carried back to the user.

/// The errno values the kernel (or rvs in its place) answers with (ipvsadm-spec §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    Eperm,
    Enoent,
    Esrch,
    Enomem,
    Eexist,
    Enodev,
    Einval,
    Erange,
    Enoprotoopt,
    Eopnotsupp,
    Eafnosupport,
    Emsgsize,
    Eaddrnotavail,
}

impl Errno {
    /// glibc `strerror` text, printed when no libipvs row matches (ipvsadm-spec §6.2).
    pub fn strerror(self) -> &'static str {
        match self {
            Errno::Eperm => "Operation not permitted",
            Errno::Enoent => "No such file or directory",
            Errno::Esrch => "No such process",
            Errno::Enomem => "Cannot allocate memory",
            Errno::Eexist => "File exists",
            Errno::Enodev => "No such device",
            Errno::Einval => "Invalid argument",
            Errno::Erange => "Numerical result out of range",
            Errno::Enoprotoopt => "Protocol not available",
            Errno::Eopnotsupp => "Operation not supported",
            Errno::Eafnosupport => "Address family not supported by protocol",
            Errno::Emsgsize => "Message too long",
            Errno::Eaddrnotavail => "Cannot assign requested address",
        }
    }
}

/// The last libipvs operation, which selects the operation-specific rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    AddService,
    UpdateService,
    DelService,
    /// `-C` does not record itself in libipvs, so only generic rows apply (ipvsadm-spec §6.2).
    Flush,
    ZeroService,
    AddDest,
    UpdateDest,
    DelDest,
    SetTimeout,
    StartDaemon,
    StopDaemon,
    GetServices,
    GetDests,
    GetService,
}

/// `ipvs_strerror`'s table in its order: the first matching row wins; `None` rows are generic.
const TABLE: &[(Option<Op>, Errno, &str)] = &[
    (
        Some(Op::AddService),
        Errno::Eexist,
        "Service already exists",
    ),
    (
        Some(Op::AddService),
        Errno::Enoent,
        "Scheduler or persistence engine not found",
    ),
    (Some(Op::UpdateService), Errno::Esrch, "No such service"),
    (
        Some(Op::UpdateService),
        Errno::Enoent,
        "Scheduler or persistence engine not found",
    ),
    (Some(Op::DelService), Errno::Esrch, "No such service"),
    (Some(Op::ZeroService), Errno::Esrch, "No such service"),
    (Some(Op::AddDest), Errno::Esrch, "Service not defined"),
    (
        Some(Op::AddDest),
        Errno::Eexist,
        "Destination already exists",
    ),
    (Some(Op::UpdateDest), Errno::Esrch, "Service not defined"),
    (Some(Op::UpdateDest), Errno::Enoent, "No such destination"),
    (Some(Op::DelDest), Errno::Esrch, "Service not defined"),
    (Some(Op::DelDest), Errno::Enoent, "No such destination"),
    (
        Some(Op::StartDaemon),
        Errno::Eexist,
        "Daemon has already run",
    ),
    (Some(Op::StopDaemon), Errno::Esrch, "No daemon is running"),
    (Some(Op::GetServices), Errno::Esrch, "No such service"),
    (Some(Op::GetDests), Errno::Esrch, "No such service"),
    (Some(Op::GetService), Errno::Esrch, "No such service"),
    (None, Errno::Eperm, "Permission denied (you must be root)"),
    (
        None,
        Errno::Einval,
        "Invalid operation.  Possibly wrong module version, address not unicast, ...",
    ),
    (None, Errno::Enoprotoopt, "Protocol not available"),
    (None, Errno::Enomem, "Memory allocation problem"),
    (None, Errno::Eopnotsupp, "Operation not supported with IPv6"),
    (
        None,
        Errno::Eafnosupport,
        "Operation not supported with specified address family",
    ),
    (None, Errno::Emsgsize, "Module is wrong version"),
];

/// The text ipvsadm prints for `errno` after operation `op` (ipvsadm-spec §6.2).
pub fn message(op: Op, errno: Errno) -> &'static str {
    let op = (op != Op::Flush).then_some(op);
    TABLE
        .iter()
        .find(|(row_op, row_errno, _)| *row_errno == errno && (row_op.is_none() || *row_op == op))
        .map_or(errno.strerror(), |row| row.2)
}

/// Exit status of a command the kernel rejected (ipvsadm-spec §6.1).
pub const EXIT_KERNEL: i32 = 255;
/// Exit status of every validation error (ipvsadm-spec §6.1).
pub const EXIT_USAGE: i32 = 2;
/// Exit status of a listing failure (ipvsadm-spec §6.1).
pub const EXIT_LIST: i32 = 1;

/// What ipvsadm would print and exit with when a command does not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Failure {
    /// One message line on stderr.
    pub fn new(code: i32, message: &str) -> Failure {
        Failure {
            stdout: String::new(),
            stderr: format!("{message}\n"),
            code,
        }
    }

    /// A validation error: `fail(2, ...)` in ipvsadm.c.
    pub fn usage(message: &str) -> Failure {
        Failure::new(EXIT_USAGE, message)
    }

    /// A kernel rejection of a modifying command: the libipvs text, exit 255.
    pub fn kernel(op: Op, errno: Errno) -> Failure {
        Failure::new(EXIT_KERNEL, message(op, errno))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn specific_rows_win_over_generic() {
        assert_eq!(
            message(Op::AddService, Errno::Eexist),
            "Service already exists"
        );
        assert_eq!(message(Op::AddDest, Errno::Esrch), "Service not defined");
        assert_eq!(message(Op::DelService, Errno::Esrch), "No such service");
    }

    #[test]
    fn generic_rows_and_strerror() {
        assert_eq!(
            message(Op::AddDest, Errno::Enomem),
            "Memory allocation problem"
        );
        assert_eq!(
            message(Op::AddDest, Errno::Erange),
            "Numerical result out of range"
        );
        assert_eq!(message(Op::StartDaemon, Errno::Enodev), "No such device");
        // -C records no operation: its ESRCH is plain strerror.
        assert_eq!(message(Op::Flush, Errno::Esrch), "No such process");
    }
}
