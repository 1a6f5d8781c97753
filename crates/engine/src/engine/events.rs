//! Building events from the engine's state.

use super::*;

impl Engine {
    pub(super) fn unit_event(
        &self,
        t: Timestamp,
        rule: RuleIndex,
        kind: EventKind,
        unit: u32,
    ) -> Event {
        let state = &self.units[unit as usize];
        let mut event = Event::new(t, &self.names.rules[rule as usize], kind);
        event.unit = Some(state.name.clone());
        event.party = Some(self.names.parties[usize::from(state.party)].clone());
        if let RuleKind::Exclusion { zone, .. } =
            self.classifier.agreement.rules[rule as usize].kind
        {
            event.zone = Some(self.names.features[zone as usize].clone());
        }
        event
    }

    pub(super) fn standoff_event(
        &self,
        t: Timestamp,
        rule: RuleIndex,
        kind: EventKind,
        unit: u32,
        distance_m: f64,
    ) -> Event {
        let state = &self.units[unit as usize];
        let mut event = Event::new(t, &self.names.rules[rule as usize], kind);
        event.unit = Some(state.name.clone());
        event.party = Some(self.names.parties[usize::from(state.party)].clone());
        if let RuleKind::Standoff { target, min_km, .. } =
            self.classifier.agreement.rules[rule as usize].kind
        {
            event.target = Some(self.names.features[target as usize].clone());
            event.limit_km = Some(min_km);
        }
        event.distance_km = Some(distance_m / 1000.0);
        event
    }

    pub(super) fn cap_event(&self, t: Timestamp, rule: RuleIndex, kind: EventKind) -> Event {
        let mut event = Event::new(t, &self.names.rules[rule as usize], kind);
        if let RuleKind::Cap {
            zone,
            party,
            category,
            max,
        } = self.classifier.agreement.rules[rule as usize].kind
        {
            event.zone = Some(self.names.features[zone as usize].clone());
            event.party = Some(self.names.parties[usize::from(party)].clone());
            event.category = Some(self.names.categories[usize::from(category)].clone());
            event.value = Some(self.cap_total[rule as usize]);
            event.limit = Some(max);
        }
        event
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn separation_event(
        &self,
        t: Timestamp,
        rule: RuleIndex,
        kind: EventKind,
        side: usize,
        unit: u32,
        other: u32,
        distance_m: f64,
    ) -> Event {
        // The first party's unit is always `unit`, whichever of the two reported.
        let (first, second) = if side == 0 {
            (unit, other)
        } else {
            (other, unit)
        };
        let mut event = Event::new(t, &self.names.rules[rule as usize], kind);
        event.unit = Some(self.units[first as usize].name.clone());
        event.other = Some(self.units[second as usize].name.clone());
        event.distance_km = Some(distance_m / 1000.0);
        if let RuleKind::Separation { min_km, .. } =
            self.classifier.agreement.rules[rule as usize].kind
        {
            event.limit_km = Some(min_km);
        }
        event
    }
}
