//! CPU-heavy work that a request can ask for (hashing a password, decoding an uploaded image) runs on the
//! blocking pool, but never more of one kind at once than its workers, and never with more than a short
//! line waiting: past that the caller is told at once to come back (429 with `Retry-After`) rather than
//! piling up threads, each holding its memory (19 MiB per argon2id hash, tens of MiB per decoded image).
//!
//! A short line rather than an immediate refusal: a burst (a shift's staff logging in, a manager uploading
//! a batch of photos) waits its turn for well under a second; only a flood is refused.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// Requests refused because their queue was full, by `work` (`hashing`, `images`).
pub const CPU_QUEUE_FULL: &str = "ordera_cpu_queue_full_total";

pub struct CpuQueue {
    /// Names the work in the metrics.
    work: &'static str,
    /// Places in the queue: the workers plus the line.
    places: Arc<Semaphore>,
    workers: Arc<Semaphore>,
}

impl CpuQueue {
    pub fn new(work: &'static str, workers: usize, waiting: usize) -> Self {
        let workers = workers.max(1);
        Self { work, places: Arc::new(Semaphore::new(workers + waiting)), workers: Arc::new(Semaphore::new(workers)) }
    }

    /// Runs `job` on the blocking pool once a worker is free, or answers 429 at once when the line is full.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
        let Ok(place) = self.places.clone().try_acquire_owned() else {
            metrics::counter!(CPU_QUEUE_FULL, "work" => self.work).increment(1);
            return Err(ApiError::TooManyRequests { retry_after_secs: 1 });
        };
        let worker = self.workers.clone().acquire_owned().await.map_err(anyhow::Error::from)?;
        // The permits go with the job: a request abandoned by its client still holds its worker until the
        // job is done, so the bound holds for what is running, not only for what is awaited.
        let job = tokio::task::spawn_blocking(move || {
            let _permits = (place, worker);
            job()
        });
        Ok(job.await.map_err(anyhow::Error::from)?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_workers_run_and_a_full_line_is_refused_at_once() {
        let queue = Arc::new(CpuQueue::new("test", 2, 3));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(std::sync::Mutex::new(released));
        let mut jobs = Vec::new();
        for _ in 0..5 {
            let (queue, running, most, released) = (queue.clone(), running.clone(), most.clone(), released.clone());
            jobs.push(tokio::spawn(async move {
                queue
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        released.lock().unwrap().recv().unwrap();
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            }));
        }
        // All five places are taken (two running, three waiting): the sixth is refused without waiting.
        while queue.places.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        match queue.run(|| ()).await {
            Err(ApiError::TooManyRequests { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
        }
        for _ in 0..5 {
            release.send(()).unwrap();
        }
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        queue.run(|| ()).await.expect("room again once the line has gone through");
    }
}
