/* ring_wait.pml — the ring's alloc_wait wake-up protocol as written in
 * src/ring/wake.rs (Wake::announce, Wake::after_release), src/ring/pool.rs
 * (wait_for_room) and src/ring/slice.rs (Slice::drop), on x86-TSO.
 *
 * NREL slices fill the ring; slice 0 is the oldest. One releaser thread per
 * slice drops it (in any order relative to the others). The producer wants
 * the whole ring back: reclaim moves its read cursor over the released
 * prefix only, so a release behind the live slice 0 wakes the producer
 * without making room, and it must park again.
 *
 * Every thread's stores go through its own store buffer (one pending store:
 * no thread here has two stores in flight), drained by its own Flusher at
 * any time; a fence waits until the thread's own buffer is empty. That is the
 * only x86 reordering (store -> later load), and it is exactly the one the
 * protocol must defeat: releaser "store RELEASED; load waiting" against
 * producer "store waiting; load header" (Dekker).
 *
 * park/unpark: a token (std's park semantics; an unpark synchronizes-with
 * the park it ends, so the token is set only after the unparking thread's
 * earlier stores). A producer parked with no token once every releaser has
 * finished is a lost wake-up: pan reports it as an invalid end state.
 * (Releasers never store `waiting`, so their load of it reads memory.)
 *
 * Options:
 *   -DNO_WAIT_FENCE   "ring.wait.fence" removed (must fail)
 *   -DNO_WAKE_FENCE   "ring.wake.fence" removed (must fail)
 *   -DASYMMETRIC      the std build's pair where membarrier is available:
 *                     the wake fence is a compiler fence (nothing here) and
 *                     the wait fence drains every thread's buffer
 *                     (membarrier: a full barrier on every CPU running a
 *                     thread of the process) (must pass)
 */
#ifndef NREL
#define NREL 2
#endif

#define PROD     NREL          /* thread id of the producer */
#define WAITING  NREL          /* store address of Wake::waiting */

byte hdr[NREL];                /* RingPool::headers of the slices: 1 = RELEASED */
bit waiting;                   /* Wake::waiting */
bit token;                     /* the producer thread's park token */
byte ndone;                    /* releasers finished */

/* one-entry store buffers: address (hdr index or WAITING), value, full? */
byte sb_a[NREL + 1];
byte sb_v[NREL + 1];
bit sb_n[NREL + 1];

inline st(t, a, v) { atomic { sb_n[t] == 0 -> sb_a[t] = a; sb_v[t] = v; sb_n[t] = 1 } }
#define drain(t) (sb_n[t] == 0)

proctype Flusher(byte t) {
end:
  do
  :: d_step {
       sb_n[t] == 1 ->
       /*@ (TSO) the thread's store buffer writes its store to memory */
       if
       :: sb_a[t] == WAITING -> waiting = sb_v[t]
       :: else -> hdr[sb_a[t]] = sb_v[t]
       fi;
       sb_n[t] = 0
     }
  od
}

/* pool.rs reclaim: over the released prefix (the producer stores no
 * header, so its loads read memory) */
inline reclaim() {
  do
  :: r < NREL && hdr[r] == 1 ->
     /*@ pool.rs reclaim: headers[read_idx].load(Acquire ("ring.reclaim.load")) reads RELEASED */
     r++
  :: else -> break
  od
}

proctype Producer() {
  byte r, t;
  /*@ pool.rs RingProducer::alloc_wait: reclaim, alloc_in (the fast try) */
  reclaim();
  if
  :: r == NREL -> goto done
  :: else -> skip
  fi;
  /*@ wake.rs Wake::announce: waiting.store(true, Relaxed) */
  st(PROD, WAITING, 1);
#if defined(NO_WAIT_FENCE)
  skip;
#elif defined(ASYMMETRIC)
  /*@ wake.rs Wake::announce: membarrier(PRIVATE_EXPEDITED) ("ring.wait.fence"): a full barrier on the caller, then on each other CPU in turn */
  drain(PROD);
  t = 0;
  do
  :: t < NREL -> sb_n[t] == 0; t++
  :: else -> break
  od;
#else
  /*@ wake.rs Wake::announce: fence(SeqCst) ("ring.wait.fence") */
  drain(PROD);
#endif
  do
  :: /*@ pool.rs wait_for_room: reclaim, alloc_in (the re-check) */
     reclaim();
     if
     :: r == NREL -> break
     :: else ->
        /*@ pool.rs wait_for_room: thread::park() (blocks until the token is set) */
        atomic { token == 1 -> token = 0 }
     fi
  od;
done:
  /*@ wake.rs Wake::withdraw: waiting.store(false, Relaxed) */
  st(PROD, WAITING, 0);
  assert(r == NREL)
}

proctype Releaser(byte me) {
  /*@ slice.rs Slice::drop: headers[first].store(len << 1 | RELEASED, Release ("ring.release.store")) */
  st(me, me, 1);
#if defined(NO_WAKE_FENCE) || defined(ASYMMETRIC)
  skip;
#else
  /*@ wake.rs Wake::after_release: fence(SeqCst) ("ring.wake.fence") */
  drain(me);
#endif
  /*@ wake.rs Wake::after_release: waiting.load(Relaxed) */
  if
  :: waiting == 1 ->
     /*@ wake.rs Wake::wake: Thread::unpark (synchronizes-with the park it ends: the token is set after this thread's earlier stores) */
     atomic { drain(me) -> token = 1 }
  :: else -> skip
  fi;
  ndone++
}

init {
  byte k;
  atomic {
    k = 0;
    do
    :: k < NREL -> run Releaser(k); k++
    :: else -> break
    od;
    run Producer();
    k = 0;
    do
    :: k <= NREL -> run Flusher(k); k++
    :: else -> break
    od
  }
}
