//! An ordered three-stage pipeline for the big formats: one thread reads and
//! splits the file into batches of records, worker threads parse batches,
//! and the calling thread consumes the parsed batches **in input order** (so
//! the output is the same whatever the scheduling). On two cores this
//! overlaps reading, parsing and column building.

use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;

/// Records per batch handed between the stages.
pub const BATCH: usize = 2048;

/// Run `produce` on its own thread (it calls `emit` with each batch, in
/// order, and returns a result), `map` on worker threads, and `consume` on
/// this thread in the order the batches were emitted.
pub fn pipeline<T, U, R>(
    produce: impl FnOnce(&mut dyn FnMut(T)) -> R + Send,
    map: impl Fn(T) -> U + Sync,
    mut consume: impl FnMut(U),
) -> R
where
    T: Send,
    U: Send,
    R: Send,
{
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let (in_tx, in_rx) = sync_channel::<(u64, T)>(workers * 2);
    let (out_tx, out_rx) = sync_channel::<(u64, U)>(workers * 2);
    let in_rx = Mutex::new(in_rx);
    std::thread::scope(|scope| {
        let producer = std::thread::Builder::new()
            .name("alertsift-read".into())
            .spawn_scoped(scope, move || {
                let mut seq = 0u64;
                let mut emit = |batch: T| {
                    // A closed channel means the consumer is gone; nothing to do.
                    let _ = in_tx.send((seq, batch));
                    seq += 1;
                };
                produce(&mut emit)
            })
            .expect("the system could not start an ingest thread");
        for _ in 0..workers {
            let out_tx = out_tx.clone();
            let in_rx = &in_rx;
            let map = &map;
            let _worker = std::thread::Builder::new()
                .name("alertsift-parse".into())
                .spawn_scoped(scope, move || loop {
                    let next = match in_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, batch)) = next else { return };
                    if out_tx.send((seq, map(batch))).is_err() {
                        return;
                    }
                })
                .expect("the system could not start an ingest thread");
        }
        drop(out_tx);
        drain_in_order(&out_rx, &mut consume);
        match producer.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

fn drain_in_order<U>(rx: &Receiver<(u64, U)>, consume: &mut impl FnMut(U)) {
    let mut next = 0u64;
    let mut waiting: BTreeMap<u64, U> = BTreeMap::new();
    for (seq, item) in rx.iter() {
        waiting.insert(seq, item);
        while let Some(item) = waiting.remove(&next) {
            consume(item);
            next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_keeps_input_order() {
        let mut out = Vec::new();
        let r = pipeline(
            |emit| {
                for i in 0..1000u64 {
                    emit(vec![i, i + 1]);
                }
                "done"
            },
            |batch: Vec<u64>| {
                // Uneven work so batches finish out of order.
                if batch[0] % 7 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
                batch.iter().sum::<u64>()
            },
            |sum| out.push(sum),
        );
        assert_eq!(r, "done");
        assert_eq!(out, (0..1000u64).map(|i| 2 * i + 1).collect::<Vec<_>>());
    }
}
