//! The departments' systems as a case mocks them: answers the host gives
//! in place of the network (a [`Responder`]), each matched by method and
//! whole URL in the order the case lists them, and the requests made,
//! for the case's expectation and for what went unanswered or unused.

use std::sync::Mutex;

use onething_runtime::capabilities::http::{MockAnswer, Responder, SentRequest};

use super::plan::PlannedMock;

/// One case's mocked systems; set before each case, read after it.
#[derive(Debug, Default)]
pub struct CaseMocks {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The answers, each with the requests it still answers.
    mocks: Vec<(PlannedMock, u32)>,
    /// Every request, `METHOD URL`.
    made: Vec<String>,
    /// What went wrong: an unanswered request, a header missing.
    faults: Vec<String>,
}

/// What one case's systems saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Every request, `METHOD URL`, in order.
    pub made: Vec<String>,
    /// Unanswered requests, missing headers, answers never asked for.
    pub faults: Vec<String>,
}

impl CaseMocks {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answer the next case's requests with `mocks`.
    pub fn set(&self, mocks: &[PlannedMock]) {
        *self.state() = State {
            mocks: mocks.iter().map(|m| (m.clone(), m.times)).collect(),
            ..State::default()
        };
    }

    /// What the case's systems saw, and answers left unused.
    pub fn take(&self) -> Seen {
        let state = std::mem::take(&mut *self.state());
        let mut faults = state.faults;
        for (m, left) in &state.mocks {
            if *left > 0 {
                faults.push(format!(
                    "the mocked answer to {} {} was never asked for ({left} of {} left)",
                    m.method, m.url, m.times
                ));
            }
        }
        Seen {
            made: state.made,
            faults,
        }
    }
}

impl Responder for CaseMocks {
    fn answer(&self, request: &SentRequest) -> Option<MockAnswer> {
        let mut state = self.state();
        state
            .made
            .push(format!("{} {}", request.method, request.url));
        let found = state
            .mocks
            .iter_mut()
            .find(|(m, left)| *left > 0 && m.method == request.method && m.url == request.url);
        let Some((mock, left)) = found else {
            state.faults.push(format!(
                "{} {} was requested but the case mocks no answer to it",
                request.method, request.url
            ));
            return None;
        };
        *left -= 1;
        let missing: Vec<String> = mock
            .require_headers
            .iter()
            .filter(|h| !request.headers.iter().any(|(name, _)| name == *h))
            .cloned()
            .collect();
        let answer = mock.answer.clone();
        if !missing.is_empty() {
            state.faults.push(format!(
                "{} {} came without the header(s) {}",
                request.method,
                request.url,
                missing.join(", ")
            ));
        }
        Some(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mock(url: &str, times: u32) -> PlannedMock {
        PlannedMock {
            method: "GET".into(),
            url: url.into(),
            answer: MockAnswer::Refused,
            times,
            require_headers: vec!["authorization".into()],
        }
    }

    fn request(url: &str, headers: &[&str]) -> SentRequest {
        SentRequest {
            department: "tax".into(),
            method: "GET".into(),
            url: url.into(),
            headers: headers
                .iter()
                .map(|h| ((*h).to_owned(), "x".into()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn answers_in_order_and_reports_what_was_left_or_missing() {
        let mocks = CaseMocks::default();
        mocks.set(&[mock("https://a/", 1), mock("https://b/", 2)]);
        assert!(
            mocks
                .answer(&request("https://a/", &["authorization"]))
                .is_some()
        );
        assert!(mocks.answer(&request("https://a/", &[])).is_none());
        assert!(mocks.answer(&request("https://b/", &[])).is_some());
        let seen = mocks.take();
        assert_eq!(seen.made.len(), 3);
        assert_eq!(seen.faults.len(), 3, "{:?}", seen.faults);
        assert!(seen.faults[0].contains("mocks no answer"));
        assert!(seen.faults[1].contains("without the header(s) authorization"));
        assert!(seen.faults[2].contains("1 of 2 left"));
        assert!(mocks.take().faults.is_empty(), "taken means reset");
    }
}
