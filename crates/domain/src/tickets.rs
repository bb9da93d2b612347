//! 事件 (issue tickets) and their workflow, after GB/T 30428 and the 12345 hotlines:
//! 上报 → 受理 (or 不予受理) → 派遣 → 处置 → 反馈 → 核查 (back to 处置 when it fails) → 结案 →
//! 评价, with 延期 (asked by whoever handles it, approved or refused by a manager), 督办 and
//! 重新办理 (reopen). Only the transitions here exist; anything else is refused with the steps
//! that are possible from where the ticket stands.

use serde::{Deserialize, Serialize};

use crate::access::roles::Role;
use crate::workflow::{Primary, Step, To, When, Workflow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 上报: reported, waiting to be accepted.
    Reported,
    /// 受理/立案: accepted, waiting to be dispatched.
    Accepted,
    /// 不予受理: not taken up (with the reason). Final unless reopened.
    Refused,
    /// 派遣: sent to whoever will handle it; the time limit runs.
    Dispatched,
    /// 处置: being handled.
    Handling,
    /// 反馈: handled, waiting for the field check.
    Answered,
    /// 核查通过: the field check found it done; waiting to be closed.
    Verified,
    /// 结案: checked and closed, waiting for the reporter's evaluation.
    Closed,
    /// 评价: closed and evaluated.
    Rated,
}

impl State {
    pub const ALL: [State; 9] = [
        State::Reported,
        State::Accepted,
        State::Refused,
        State::Dispatched,
        State::Handling,
        State::Answered,
        State::Verified,
        State::Closed,
        State::Rated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Accepted => "accepted",
            State::Refused => "refused",
            State::Dispatched => "dispatched",
            State::Handling => "handling",
            State::Answered => "answered",
            State::Verified => "verified",
            State::Closed => "closed",
            State::Rated => "rated",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL
            .into_iter()
            .find(|x| x.as_str() == s || x.label() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Reported => "已上报",
            State::Accepted => "已受理",
            State::Refused => "不予受理",
            State::Dispatched => "已派遣",
            State::Handling => "处置中",
            State::Answered => "已反馈待核查",
            State::Verified => "核查通过待结案",
            State::Closed => "已结案",
            State::Rated => "已评价",
        }
    }

    /// Still someone's work: the time limit matters.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            State::Reported
                | State::Accepted
                | State::Dispatched
                | State::Handling
                | State::Answered
                | State::Verified
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Refuse,
    Dispatch,
    Start,
    Feedback,
    VerifyPass,
    VerifyFail,
    Close,
    Rate,
    RequestExtension,
    ApproveExtension,
    DenyExtension,
    Supervise,
    Reopen,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::Accept,
        Action::Refuse,
        Action::Dispatch,
        Action::Start,
        Action::Feedback,
        Action::VerifyPass,
        Action::VerifyFail,
        Action::Close,
        Action::Rate,
        Action::RequestExtension,
        Action::ApproveExtension,
        Action::DenyExtension,
        Action::Supervise,
        Action::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Refuse => "refuse",
            Action::Dispatch => "dispatch",
            Action::Start => "start",
            Action::Feedback => "feedback",
            Action::VerifyPass => "verify_pass",
            Action::VerifyFail => "verify_fail",
            Action::Close => "close",
            Action::Rate => "rate",
            Action::RequestExtension => "request_extension",
            Action::ApproveExtension => "approve_extension",
            Action::DenyExtension => "deny_extension",
            Action::Supervise => "supervise",
            Action::Reopen => "reopen",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|x| x.as_str() == s || x.label() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::Refuse => "不予受理",
            Action::Dispatch => "派遣",
            Action::Start => "开始处置",
            Action::Feedback => "处置反馈",
            Action::VerifyPass => "核查通过",
            Action::VerifyFail => "核查未通过",
            Action::Close => "结案",
            Action::Rate => "评价",
            Action::RequestExtension => "申请延期",
            Action::ApproveExtension => "批准延期",
            Action::DenyExtension => "驳回延期",
            Action::Supervise => "督办",
            Action::Reopen => "重新办理",
        }
    }

    /// Must say why (shown on the timeline).
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            Action::Refuse
                | Action::Feedback
                | Action::VerifyFail
                | Action::RequestExtension
                | Action::DenyExtension
                | Action::Supervise
                | Action::Reopen
        )
    }

    /// Taken by whoever runs the community's (or the street's) tickets: accepting, sending,
    /// closing, deciding on extensions, supervising.
    pub fn for_managers(self) -> bool {
        FLOW.party(self) == Some(Party::Managers)
    }

    /// Taken by whoever handles the ticket in the field once it is sent: starting, reporting
    /// back, asking for more time. The dispatcher doesn't take them for the handler.
    pub fn for_handlers(self) -> bool {
        FLOW.party(self) == Some(Party::Handlers)
    }
}

/// Who takes a step of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// Whoever works tickets (checking in the field, passing on a rating).
    Anyone,
    /// Whoever runs the queue (`manages_tickets`).
    Managers,
    /// Whoever handles it once sent: the workers, or the street's staff for what was sent up.
    Handlers,
}

/// What a step may require of a ticket beyond its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    ExtensionPending,
}

const SENT: &[State] = &[State::Dispatched, State::Handling];

const fn step(
    action: Action,
    from: &'static [State],
    to: To<State>,
    when: When<Flag>,
    by: Party,
) -> Step<State, Action, Party, Flag> {
    Step {
        action,
        from,
        to,
        when,
        by,
    }
}

const fn first(
    from: &'static [State],
    when: When<Flag>,
    for_party: Option<Party>,
    action: Action,
) -> Primary<State, Action, Party, Flag> {
    Primary {
        from,
        when,
        for_party,
        action,
    }
}

/// The 事件 workflow: every step there is, and who takes it. (Kept as a table, one step a
/// line, so a change to the workflow is a one-line diff.)
#[rustfmt::skip]
pub const FLOW: Workflow<State, Action, Party, Flag> = {
    use Action as A;
    use Party::{Anyone, Handlers, Managers};
    use State as S;
    use To::{Same, State as Go};
    use When::{Always, If, Unless};
    const PENDING: Flag = Flag::ExtensionPending;
    const SUPERVISED: &[State] = &[S::Accepted, S::Dispatched, S::Handling, S::Answered, S::Verified];
    Workflow {
        states: &State::ALL,
        actions: &Action::ALL,
        steps: &[
            step(A::Accept,           &[S::Reported],   Go(S::Accepted),   Always,          Managers),
            step(A::Refuse,           &[S::Reported],   Go(S::Refused),    Always,          Managers),
            step(A::Dispatch,         &[S::Accepted],   Go(S::Dispatched), Always,          Managers),
            // Sent elsewhere again (to another department, or up to the street).
            step(A::Dispatch,         SENT,             Go(S::Dispatched), Always,          Managers),
            step(A::Start,            &[S::Dispatched], Go(S::Handling),   Always,          Handlers),
            step(A::Feedback,         SENT,             Go(S::Answered),   Always,          Handlers),
            step(A::VerifyPass,       &[S::Answered],   Go(S::Verified),   Always,          Anyone),
            step(A::VerifyFail,       &[S::Answered],   Go(S::Handling),   Always,          Anyone),
            step(A::Close,            &[S::Verified],   Go(S::Closed),     Always,          Managers),
            step(A::RequestExtension, SENT,             Same,              Unless(PENDING), Handlers),
            step(A::ApproveExtension, SENT,             Same,              If(PENDING),     Managers),
            step(A::DenyExtension,    SENT,             Same,              If(PENDING),     Managers),
            step(A::Supervise,        SUPERVISED,       Same,              Always,          Managers),
            step(A::Rate,             &[S::Closed],     Go(S::Rated),      Always,          Anyone),
            step(A::Reopen,           &[S::Refused, S::Closed, S::Rated], Go(S::Accepted), Always, Managers),
        ],
        // The first that fits is the primary step (a manager decides a pending extension first).
        primary: &[
            first(SENT,             If(PENDING), Some(Managers), A::ApproveExtension),
            first(&[S::Reported],   Always,      None,           A::Accept),
            first(&[S::Accepted],   Always,      None,           A::Dispatch),
            first(&[S::Dispatched], Always,      None,           A::Start),
            first(&[S::Handling],   Always,      None,           A::Feedback),
            first(&[S::Answered],   Always,      None,           A::VerifyPass),
            first(&[S::Verified],   Always,      None,           A::Close),
            first(&[S::Closed],     Always,      None,           A::Rate),
        ],
    }
};

fn flags(extension_pending: bool) -> &'static [Flag] {
    if extension_pending {
        &[Flag::ExtensionPending]
    } else {
        &[]
    }
}

/// Where a ticket stands, as far as who may act on it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub state: State,
    pub extension_pending: bool,
    /// Sent up to the street: the street's staff handle it themselves.
    pub escalated: bool,
}

/// The steps a user of `role` is offered now. Managers run the queue (accept, dispatch,
/// decide, close, supervise, check); whoever handles it starts, reports back and asks for
/// more time — the street handles what was sent up to it. One list for the page, the API
/// and the start page's "waiting on me", so they can't disagree.
pub fn offered(role: Role, at: Standing) -> Vec<Action> {
    FLOW.offered(at.state, flags(at.extension_pending), may(role, at))
}

/// Whether `role` is the party a step is for, where the ticket stands.
fn may(role: Role, at: Standing) -> impl Fn(Party) -> bool {
    let works = works_tickets(role);
    let manager = manages_tickets(role);
    let handles = !manager || (role == Role::StreetStaff && at.escalated);
    move |party| {
        works
            && match party {
                Party::Anyone => true,
                Party::Managers => manager,
                Party::Handlers => handles,
            }
    }
}

/// The one step that moves the ticket on from where it stands, if this user is offered it
/// (the page's primary button); the other offered steps are secondary.
pub fn primary(role: Role, at: Standing) -> Option<Action> {
    let manager = manages_tickets(role);
    FLOW.primary(
        at.state,
        flags(at.extension_pending),
        |party| party != Party::Managers || manager,
        may(role, at),
    )
}

/// Who may report and work on tickets: everyone who works in the community or the street.
pub fn works_tickets(role: Role) -> bool {
    matches!(
        role,
        Role::GridWorker | Role::LineWorker | Role::CommunityHead | Role::StreetStaff
    )
}

/// Who accepts, dispatches and closes them.
pub fn manages_tickets(role: Role) -> bool {
    matches!(role, Role::CommunityHead | Role::StreetStaff)
}

/// Where `action` takes a ticket in `state`, given whether an extension is pending.
/// `Err` holds the actions possible from here.
pub fn next(state: State, extension_pending: bool, action: Action) -> Result<State, Vec<Action>> {
    FLOW.next(state, flags(extension_pending), action)
}

/// The reporter's evaluation (评价).
pub const RATINGS: &[&str] = &["满意", "基本满意", "不满意"];

/// How an evaluation reached the record: the resident through their receipt link, or a named
/// staff member's 电话回访 (phone callback) on a stated day. Evaluations from before channels
/// were recorded are `unrecorded`. Staff never enter a rating as their own.
pub const RATING_CHANNELS: &[(&str, &str)] = &[
    ("resident", "居民凭回执评价"),
    ("phone", "电话回访"),
    ("unrecorded", "未记录渠道"),
];

pub fn rating_channel_label(code: &str) -> &'static str {
    RATING_CHANNELS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("未记录渠道", |(_, l)| *l)
}

/// Where a ticket may be sent (派遣).
pub const DISPATCH_KINDS: &[(&str, &str)] = &[
    ("department", "职能部门"),
    ("property", "物业公司"),
    ("worker", "社区工作人员"),
    ("street", "上报街道"),
];

/// Urgency as reported; it picks the category's time limit.
pub const URGENCIES: &[(&str, &str)] = &[("normal", "一般"), ("urgent", "紧急")];

/// Where a report came from.
pub const SOURCES: &[(&str, &str)] = &[
    ("worker", "网格员/工作人员上报"),
    ("resident", "居民反映"),
    ("open311", "网上报事（Open311）"),
    ("visit", "走访发现"),
    ("patrol", "巡查发现"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_path_and_the_way_back_from_a_failed_check() {
        let mut s = State::Reported;
        for a in [
            Action::Accept,
            Action::Dispatch,
            Action::Start,
            Action::Feedback,
            Action::VerifyFail,
            Action::Feedback,
            Action::VerifyPass,
        ] {
            s = next(s, false, a).unwrap_or_else(|e| panic!("{a:?} from {s:?}: {e:?}"));
        }
        assert_eq!(s, State::Verified);
        assert_eq!(next(s, false, Action::Close), Ok(State::Closed));
        // Closing an unverified ticket is refused, naming the check.
        let err = next(State::Answered, false, Action::Close).unwrap_err();
        assert!(err.contains(&Action::VerifyPass), "{err:?}");
        assert_eq!(next(State::Closed, false, Action::Rate), Ok(State::Rated));
        assert_eq!(
            next(State::Rated, false, Action::Reopen),
            Ok(State::Accepted)
        );
    }

    #[test]
    fn illegal_steps_name_the_possible_ones() {
        let err = next(State::Reported, false, Action::Feedback).unwrap_err();
        assert_eq!(err, vec![Action::Accept, Action::Refuse]);
        // An extension can't be asked twice, nor decided when none is pending.
        assert!(next(State::Handling, true, Action::RequestExtension).is_err());
        assert!(next(State::Handling, false, Action::ApproveExtension).is_err());
        assert_eq!(
            next(State::Handling, true, Action::ApproveExtension),
            Ok(State::Handling)
        );
        // A refused ticket can only be reopened.
        assert_eq!(
            next(State::Refused, false, Action::Accept).unwrap_err(),
            vec![Action::Reopen]
        );
    }

    #[test]
    fn each_role_is_offered_its_own_steps_with_at_most_one_primary() {
        let at = |state| Standing {
            state,
            extension_pending: false,
            escalated: false,
        };
        // After dispatch the head re-dispatches or supervises; the worker handles.
        let head = offered(Role::CommunityHead, at(State::Dispatched));
        assert_eq!(head, vec![Action::Dispatch, Action::Supervise]);
        assert_eq!(primary(Role::CommunityHead, at(State::Dispatched)), None);
        let worker = offered(Role::GridWorker, at(State::Dispatched));
        assert_eq!(
            worker,
            vec![Action::Start, Action::Feedback, Action::RequestExtension]
        );
        assert_eq!(
            primary(Role::GridWorker, at(State::Dispatched)),
            Some(Action::Start)
        );
        assert_eq!(
            primary(Role::CommunityHead, at(State::Reported)),
            Some(Action::Accept)
        );
        assert!(offered(Role::GridWorker, at(State::Reported)).is_empty());
        // Sent up to the street: the street handles it.
        let up = Standing {
            escalated: true,
            ..at(State::Dispatched)
        };
        assert!(offered(Role::StreetStaff, up).contains(&Action::Start));
        assert!(!offered(Role::CommunityHead, up).contains(&Action::Start));
        for role in [Role::GridWorker, Role::CommunityHead, Role::StreetStaff] {
            for state in State::ALL {
                for extension_pending in [false, true] {
                    let at = Standing {
                        state,
                        extension_pending,
                        escalated: false,
                    };
                    if let Some(p) = primary(role, at) {
                        assert!(offered(role, at).contains(&p));
                    }
                }
            }
        }
    }

    /// Every answer of the workflow for every (state, extension pending, sent up, action, role),
    /// written out; `tickets_workflow_answers.txt` was captured from the hand-written `match` before
    /// the table replaced it, so the table must answer exactly as it did.
    fn all_answers() -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for state in State::ALL {
            for extension_pending in [false, true] {
                for action in Action::ALL {
                    let _ = writeln!(
                        out,
                        "next {} {extension_pending} {} = {:?}",
                        state.as_str(),
                        action.as_str(),
                        next(state, extension_pending, action)
                    );
                }
                for escalated in [false, true] {
                    let at = Standing {
                        state,
                        extension_pending,
                        escalated,
                    };
                    for role in Role::ALL {
                        let _ = writeln!(
                            out,
                            "offered {} {extension_pending} {escalated} {role:?} = {:?} primary {:?}",
                            state.as_str(),
                            offered(role, at),
                            primary(role, at)
                        );
                    }
                }
            }
        }
        for action in Action::ALL {
            let _ = writeln!(
                out,
                "{} managers {} handlers {} note {}",
                action.as_str(),
                action.for_managers(),
                action.for_handlers(),
                action.needs_note()
            );
        }
        for role in Role::ALL {
            let _ = writeln!(
                out,
                "{role:?} works {} manages {}",
                works_tickets(role),
                manages_tickets(role)
            );
        }
        out
    }

    #[test]
    fn every_answer_is_as_before_the_table() {
        let now = all_answers();
        let before = include_str!("tickets_workflow_answers.txt");
        for (i, (a, b)) in now.lines().zip(before.lines()).enumerate() {
            assert_eq!(a, b, "line {}", i + 1);
        }
        assert_eq!(now.lines().count(), before.lines().count());
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
            assert_eq!(State::parse(s.label()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert!(manages_tickets(Role::CommunityHead) && !manages_tickets(Role::GridWorker));
        assert!(works_tickets(Role::GridWorker) && !works_tickets(Role::Auditor));
    }
}
