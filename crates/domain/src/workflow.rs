//! A workflow as data: its states, the steps between them (from which states, to which, under
//! which condition, and who may take each), and the one step per state that moves a record on.
//! A line of work declares one `Workflow` and asks it; nothing else decides a transition. The
//! 事件 are one instance (`tickets::FLOW`); the multi-level reviews to come (网格员 → 社区 → 街道
//! → 区) are others, with their levels as the parties.
//!
//! `S` is the state, `A` the action, `P` the party a step is for (a role, or a group of roles
//! resolved by the instance, such as "whoever handles it"), `F` a flag of the record's standing
//! that a step may require (an extension pending).

/// Where a step leaves the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To<S> {
    State(S),
    /// The state doesn't change (a note on the record: 督办, 申请延期).
    Same,
}

/// A condition on the record's flags, beyond its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When<F> {
    Always,
    If(F),
    Unless(F),
}

impl<F: PartialEq> When<F> {
    fn holds(&self, flags: &[F]) -> bool {
        match self {
            When::Always => true,
            When::If(f) => flags.contains(f),
            When::Unless(f) => !flags.contains(f),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Step<S: 'static, A, P, F> {
    pub action: A,
    pub from: &'static [S],
    pub to: To<S>,
    pub when: When<F>,
    /// Who may take it.
    pub by: P,
}

/// The step that moves a record on from `states` (the page's primary button), for the parties
/// `for_party` names (None: whoever is offered it). The first entry that fits is the one.
#[derive(Debug, Clone, Copy)]
pub struct Primary<S: 'static, A, P, F> {
    pub from: &'static [S],
    pub when: When<F>,
    pub for_party: Option<P>,
    pub action: A,
}

#[derive(Debug, Clone, Copy)]
pub struct Workflow<S: 'static, A: 'static, P: 'static, F: 'static> {
    pub states: &'static [S],
    /// Every action, in the order steps are offered and named.
    pub actions: &'static [A],
    pub steps: &'static [Step<S, A, P, F>],
    pub primary: &'static [Primary<S, A, P, F>],
}

impl<S, A, P, F> Workflow<S, A, P, F>
where
    S: Copy + PartialEq,
    A: Copy + PartialEq,
    P: Copy + PartialEq,
    F: PartialEq,
{
    fn step(&self, state: S, flags: &[F], action: A) -> Option<&Step<S, A, P, F>> {
        self.steps
            .iter()
            .find(|s| s.action == action && s.from.contains(&state) && s.when.holds(flags))
    }

    /// Where `action` takes a record in `state`; `Err` holds the actions possible from there.
    pub fn next(&self, state: S, flags: &[F], action: A) -> Result<S, Vec<A>> {
        match self.step(state, flags, action) {
            Some(step) => Ok(match step.to {
                To::State(s) => s,
                To::Same => state,
            }),
            None => Err(self.possible(state, flags)),
        }
    }

    /// The actions possible from `state`, whoever takes them.
    pub fn possible(&self, state: S, flags: &[F]) -> Vec<A> {
        self.offered(state, flags, |_| true)
    }

    /// The actions possible from `state` that a party `may` take, in the order of `actions`.
    pub fn offered(&self, state: S, flags: &[F], may: impl Fn(P) -> bool) -> Vec<A> {
        self.actions
            .iter()
            .copied()
            .filter(|a| self.step(state, flags, *a).is_some_and(|s| may(s.by)))
            .collect()
    }

    /// The step that moves the record on, if the party `may` take it; `is` says whether the
    /// party is the one a primary entry names.
    pub fn primary(
        &self,
        state: S,
        flags: &[F],
        is: impl Fn(P) -> bool,
        may: impl Fn(P) -> bool,
    ) -> Option<A> {
        let want = self
            .primary
            .iter()
            .find(|p| {
                p.from.contains(&state) && p.when.holds(flags) && p.for_party.is_none_or(&is)
            })?
            .action;
        self.offered(state, flags, may)
            .contains(&want)
            .then_some(want)
    }

    /// Who takes `action` (the first step naming it).
    pub fn party(&self, action: A) -> Option<P> {
        self.steps.iter().find(|s| s.action == action).map(|s| s.by)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-level review, as the residents' applications will have: the grid worker checks,
    /// the community approves; either sends it back.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum S {
        Submitted,
        Checked,
        Approved,
        Returned,
    }
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum A {
        Check,
        Approve,
        Return,
    }
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum P {
        Grid,
        Community,
    }
    const REVIEW: Workflow<S, A, P, ()> = Workflow {
        states: &[S::Submitted, S::Checked, S::Approved, S::Returned],
        actions: &[A::Check, A::Approve, A::Return],
        steps: &[
            Step {
                action: A::Check,
                from: &[S::Submitted],
                to: To::State(S::Checked),
                when: When::Always,
                by: P::Grid,
            },
            Step {
                action: A::Approve,
                from: &[S::Checked],
                to: To::State(S::Approved),
                when: When::Always,
                by: P::Community,
            },
            Step {
                action: A::Return,
                from: &[S::Submitted],
                to: To::State(S::Returned),
                when: When::Always,
                by: P::Grid,
            },
            Step {
                action: A::Return,
                from: &[S::Checked],
                to: To::State(S::Returned),
                when: When::Always,
                by: P::Community,
            },
        ],
        primary: &[
            Primary {
                from: &[S::Submitted],
                when: When::Always,
                for_party: None,
                action: A::Check,
            },
            Primary {
                from: &[S::Checked],
                when: When::Always,
                for_party: None,
                action: A::Approve,
            },
        ],
    };

    #[test]
    fn each_level_is_offered_its_own_steps() {
        assert_eq!(REVIEW.next(S::Submitted, &[], A::Check), Ok(S::Checked));
        assert_eq!(
            REVIEW.next(S::Submitted, &[], A::Approve),
            Err(vec![A::Check, A::Return])
        );
        let grid = |p| p == P::Grid;
        let community = |p| p == P::Community;
        assert_eq!(
            REVIEW.offered(S::Checked, &[], community),
            vec![A::Approve, A::Return]
        );
        assert!(REVIEW.offered(S::Checked, &[], grid).is_empty());
        assert_eq!(
            REVIEW.primary(S::Checked, &[], community, community),
            Some(A::Approve)
        );
        assert_eq!(REVIEW.primary(S::Checked, &[], grid, grid), None);
        assert!(REVIEW.possible(S::Approved, &[]).is_empty());
        assert_eq!(REVIEW.states.len(), 4);
    }
}
