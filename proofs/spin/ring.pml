/* ring.pml — the ring-cursor pool's release/reclaim protocol exactly as
 * written in src/ring/pool.rs (reclaim, alloc_in) and src/ring/slice.rs
 * (Slice::drop).
 *
 * One producer allocates NALLOC times (each of a nondeterministic length
 * 1..MAXN) from a region of CAP vectors and hands every slice to one of NC
 * consumer threads; a consumer reads and writes its slice, then drops it.
 * Consumers drop in any order relative to each other.
 *
 * Ghost ownership vowner[v]: the serial of the live slice covering vector v,
 * or 0. A slice's ownership ends when its last data access completes.
 *   hand-out asserts vowner == 0 over the new slice  (live slices never overlap)
 *   each data access asserts vowner == own serial    (same, seen by the owner)
 *   after every cursor move: read <= write <= read + CAP (cursors never cross)
 *   at quiescence the producer reclaims and asserts read == write
 *   invalid end states (deadlock) are checked by pan itself.
 *
 * Options:
 *   -DTSO               x86-TSO: every thread's stores (header stores, data
 *                       writes, the slice hand-off) go through its own FIFO
 *                       store buffer, drained by a Flusher process; loads see
 *                       the thread's own newest buffered store first.
 *   -DFIFO_RELEASE      the "ring.release.fifo" mutant: a drop advances a
 *                       shared read cursor by its own length (must fail)
 *   -DRELAXED_RELEASE   "ring.release.store" weakened to Relaxed: the
 *                       RELEASED store may become visible before the
 *                       dropper's own data accesses complete, as C11 and ARM
 *                       allow without Release (must fail)
 *   -DUNORDERED_HANDOFF (with -DTSO) the slice reaches its consumer without
 *                       passing the producer's store buffer, i.e. not
 *                       ordered after the producer's Relaxed header store
 *                       (must fail)
 */
#ifndef CAP
#define CAP 4
#endif
#ifndef MAXN
#define MAXN 2
#endif
#ifndef NALLOC
#define NALLOC 4
#endif
#ifndef NC
#define NC 2
#endif

#define RELEASED 1
#define PROD     NC            /* thread id of the producer */
#define DATA(v)  (CAP + (v))   /* store-buffer address of vector v's data */
#define HAND     (2 * CAP)     /* store-buffer address: the hand-off queue */

byte hdr[CAP];                 /* RingPool::headers: len << 1 | RELEASED */
byte fifo_read;                /* FifoCursor::read (FIFO mutant only) */
byte vowner[CAP];              /* ghost: serial of the live slice, or 0 */
byte sfirst[NALLOC + 1];       /* ghost: Slice::first, by serial */
byte slen[NALLOC + 1];         /* ghost: Slice::len, by serial */
chan hand = [NALLOC + NC] of { byte };  /* moves a Slice to a consumer (0 = stop) */
byte ndone;

/* Ends slice s's ownership: its last access is complete. */
inline end_access(e_s) {
  /*@ (ghost) slice's last data access completes: its vectors are free */
  j = sfirst[e_s];
  do
  :: j < sfirst[e_s] + slen[e_s] -> assert(vowner[j] == e_s); vowner[j] = 0; j++
  :: else -> break
  od
}

/* A store becoming visible to all threads. */
inline commit(c_a, c_v) {
  if
  :: c_a < CAP -> hdr[c_a] = c_v;
                 printf("MSG: hdr[%d] := len %d, released %d (now visible)\n", c_a, (c_v) >> 1, (c_v) & 1)
  :: c_a >= CAP && c_a < HAND -> end_access(c_v);  /* slice c_v's data write lands */
                               printf("MSG: slice %d: last data write lands\n", c_v)
  :: c_a == HAND -> hand!c_v; printf("MSG: slice %d handed to a consumer\n", c_v)
  fi
}

#ifdef TSO
#define SB 4
byte sb_a[(NC + 1) * SB];
byte sb_v[(NC + 1) * SB];
byte sb_n[NC + 1];
/* store: append to the thread's FIFO buffer (stalls while it is full) */
inline st(st_t, st_a, st_v) {
  atomic {
    sb_n[st_t] < SB ->
    sb_a[st_t * SB + sb_n[st_t]] = st_a; sb_v[st_t * SB + sb_n[st_t]] = st_v; sb_n[st_t]++
  }
}
/* load of header h by thread t: newest own buffered store, else memory */
inline ld_hdr(lt, lh, lres) {
  d_step {
    lres = hdr[lh]; j = 0;
    do
    :: j < sb_n[lt] -> if :: sb_a[lt * SB + j] == lh -> lres = sb_v[lt * SB + j] :: else fi; j++
    :: else -> break
    od;
    j = 0
  }
}
/* mfence / locked RMW / thread join: wait until the buffer is empty */
#define drain(t) (sb_n[t] == 0)
proctype Flusher(byte t) {
  byte j;
  /*@ (TSO) the store buffer writes its oldest store to memory */
end:
  do
  :: d_step {
       sb_n[t] > 0 ->
       commit(sb_a[t * SB], sb_v[t * SB]);
       j = 0;
       do
       :: j + 1 < sb_n[t] -> sb_a[t * SB + j] = sb_a[t * SB + j + 1];
                             sb_v[t * SB + j] = sb_v[t * SB + j + 1]; j++
       :: else -> break
       od;
       sb_n[t]--; sb_a[t * SB + sb_n[t]] = 0; sb_v[t * SB + sb_n[t]] = 0; j = 0
     }
  od
}
#else
inline st(st_t, st_a, st_v) { d_step { commit(st_a, st_v); j = 0 } }
inline ld_hdr(lt, lh, lres) { lres = hdr[lh] }
#define drain(t) true
#endif

#if defined(TSO) && defined(UNORDERED_HANDOFF)
inline handoff(s) { hand!s }                  /* bypasses the store buffer */
#else
inline handoff(s) { st(PROD, HAND, s) }       /* ordered after earlier stores */
#endif

/* i + by, wrapped once (pool.rs advance) */
#define ADVANCE(i, by) ((i) + (by) >= CAP -> (i) + (by) - CAP : (i) + (by))

/* pool.rs reclaim(pool, st). (No #ifdef inside inline bodies: SPIN's
 * line numbers in trails would shift, and trail.awk relies on them.) */
#ifdef FIFO_RELEASE
inline reclaim() {
  /*@ fifo_mutant.rs FifoCursor::reclaim: read.fetch_add(0, SeqCst) */
  d_step {
    to = (fifo_read < wpos -> fifo_read : wpos);
    by = (to > rpos -> to - rpos : 0);
    rpos = rpos + by; ridx = ADVANCE(ridx, by % CAP)
  }
}
/* pool.rs alloc_in (FIFO mutant): a pad advances the shared cursor too */
inline pad_fifo() {
  /*@ fifo_mutant.rs FifoCursor::on_pad: read.fetch_add(pad, SeqCst) */
  atomic { drain(PROD) -> fifo_read = fifo_read + pad }
}
#else
inline reclaim() {
  do
  :: rpos < wpos ->
     /*@ pool.rs reclaim: headers[read_idx].load(Acquire ("ring.reclaim.load")) */
     ld_hdr(PROD, ridx, h);
     printf("MSG: producer reads hdr[%d]: len %d, released %d\n", ridx, h >> 1, h & 1);
     if
     :: (h & RELEASED) == 0 -> break
     :: else -> rpos = rpos + (h >> 1); ridx = ADVANCE(ridx, h >> 1)
     fi;
     assert(rpos <= wpos)                                /* cursors never cross */
  :: else -> break
  od;
  if
  :: rpos == wpos -> ridx = 0; widx = 0                  /* empty: rewind */
  :: else -> skip
  fi
}
inline pad_fifo() { skip }
#endif

/* pool.rs alloc_in(pool, st, n); on success hands slice s to a consumer */
inline alloc_in() {
  tail = CAP - widx;
  pad = (n > tail -> tail : 0);
  if
  :: wpos - rpos + pad + n > CAP -> skip                /* Err(RingError::Full) */
  :: else ->
     if
     :: pad > 0 ->
        /*@ pool.rs alloc_in: headers[write_idx].store(pad << 1 | RELEASED, Relaxed) */
        st(PROD, widx, (pad << 1) | RELEASED);
        pad_fifo();
        wpos = wpos + pad; widx = 0
     :: else -> skip
     fi;
     /*@ pool.rs alloc_in: let first = st.write_idx (after any pad) */
     first = widx;
     /*@ (ghost) hand-out of [first, first+n): no live slice may cover it */
     printf("MSG: slice %d = vectors [%d, %d)\n", s, first, first + n);
     d_step {
       sfirst[s] = first; slen[s] = n; j = first;
       do
       :: j < first + n -> assert(vowner[j] == 0); vowner[j] = s; j++  /* no overlap */
       :: else -> break
       od;
       j = 0
     };
     /*@ pool.rs alloc_in: headers[first].store(n << 1, Relaxed) */
     st(PROD, first, n << 1);
     wpos = wpos + n; widx = ADVANCE(first, n);
     assert(rpos <= wpos && wpos - rpos <= CAP);          /* cursors never cross */
     /*@ RingProducer::alloc returns the Slice; the test moves it to a consumer */
     handoff(s)
  fi
}

proctype Producer() {
  byte rpos, wpos, ridx, widx, n, first, pad, tail, h, to, by, j, s;
  do
  :: s < NALLOC ->
     s++;
     if
     :: n = 1
     :: MAXN > 1 -> n = 2
     :: MAXN > 2 -> n = 3
     fi;
     /*@ pool.rs RingProducer::alloc(n) */
     reclaim();
     alloc_in()
  :: else -> break
  od;
  s = 0;
  do
  :: s < NC -> handoff(0); s++                   /* tell consumers to stop */
  :: else -> break
  od;
  ndone == NC;                                   /* join the consumers */
  /*@ quiescence: consumers joined; producer reclaims once more */
  drain(PROD);
  reclaim();
  assert(rpos == wpos)                           /* R == W: nothing stuck */
}

/* slice.rs Slice::drop: the release itself */
#ifdef FIFO_RELEASE
inline release(s) {
  /*@ fifo_mutant.rs FifoCursor::release: read.fetch_add(len, SeqCst) */
  atomic { drain(me) -> fifo_read = fifo_read + slen[s] }
}
#else
inline release(s) {
  /*@ slice.rs Slice::drop: headers[first].store(len << 1 | RELEASED, Release ("ring.release.store")) */
  st(me, sfirst[s], (slen[s] << 1) | RELEASED)
}
#endif

/* The owner uses its slice (the last access is a write), then drops it. */
inline use_in_order(s) {
  /*@ slice.rs Deref: the owner's read of its vectors */
  assert(vowner[sfirst[s]] == s);
  /*@ slice.rs DerefMut: the owner's write of its vectors (last access) */
  st(me, DATA(sfirst[s]), s);
  release(s)
}

#ifdef RELAXED_RELEASE
/* "ring.release.store" weakened to Relaxed: the RELEASED store may be
 * performed before the owner's earlier accesses (compiler or CPU). */
inline use_and_drop(s) {
  if
  :: /*@ slice.rs Slice::drop: headers[first].store(len << 1 | RELEASED, Relaxed) (weakened), performed early */
     st(me, sfirst[s], (slen[s] << 1) | RELEASED);
     /*@ slice.rs Deref: the owner's read of its vectors (after the early store) */
     assert(vowner[sfirst[s]] == s);
     /*@ slice.rs DerefMut: the owner's write of its vectors (after the early store) */
     st(me, DATA(sfirst[s]), s)
  :: use_in_order(s)
  fi
}
#else
inline use_and_drop(s) { use_in_order(s) }
#endif

proctype Consumer(byte me) {
  byte s, j;
  do
  :: /*@ consumer receives the Slice */
     hand?s ->
     if
     :: s == 0 -> break
     :: else -> use_and_drop(s)
     fi
  od;
  drain(me);                                     /* thread exit/join */
  ndone++
}

init {
  byte k;
  atomic {
    k = 0;
    do
    :: k < NC -> run Consumer(k); k++
    :: else -> break
    od;
    run Producer();
#ifdef TSO
    k = 0;
    do
    :: k <= NC -> run Flusher(k); k++
    :: else -> break
    od
#endif
  }
}
