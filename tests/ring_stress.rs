#[path = "../models/scenarios/ring.rs"]
mod scenarios;

#[test]
fn hand_off() {
    for _ in 0..1000 {
        scenarios::producer_hand_off();
    }
}
