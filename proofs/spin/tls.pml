/* tls.pml — the thread-local front's place / batch / depot protocol
 * (src/tls/cache.rs: Front::get, get_cold, refill_or_miss, give_back,
 * make_place, flush; src/tls/depot.rs: push_batch, pop_batch).
 *
 * Threads: a getter G (gets, hands every buffer to R through a channel), a
 * returner R (returns what it receives), and with -DMIXED a third thread M
 * that gets and returns its own buffers in any order. Each thread exits
 * like a real one: its thread-local destructor flushes its cache.
 *
 * Places (COUNT of them) live in `room`, in a cache's `places`, or with a
 * pooled buffer; `tr[t]` counts places in thread t's hands between two of
 * its steps. Buffers have ghost locations `loc[b]`. The free lists are
 * linearizable stacks (each one a TaggedStack / IndexStack, checked in
 * tagged.pml), so each push / pop is one atomic step here; the depot keeps
 * its two-list magazine protocol (vacant pop, cell writes, full push; full
 * pop, cell reads, vacant push). Owner-only steps on a cache are merged
 * with the shared step next to them (no other thread can see them).
 *
 * Properties (assertions; a monitor checks the invariants in every state):
 *  - conservation: room + Σ (places − items) + Σ tr + pooled == COUNT
 *  - bound: pooled <= COUNT
 *  - no double hand-out: a buffer taken from a cache, a magazine cell or
 *    the loose list is at that location (not held, not elsewhere)
 *  - no hoarding: every cache holds at most S = ⌈B / 2⌉ free places; a
 *    thread that only returns holds at most B buffers
 *  - no spurious full: a refused return sees room == 0 and no free place of
 *    its own, so COUNT − pooled ≤ S × (other threads) + their transit
 *  - hand-off slack (without MIXED): a refused return of the returner finds
 *    COUNT − pooled ≤ S, and each drop leaves a place free for good, so a
 *    run refuses at most S returns beyond its misses (each miss adds a
 *    buffer): `refused <= S + misses` in every state
 *  - quiescence: once every thread has flushed, every live buffer is
 *    pooled, every place is in room or with a pooled buffer.
 * Options (the must-fail mutants):
 *  -DHOARD_PLACES  a getter keeps its free places (src: HOARD_PLACES)
 *  -DHOARD_ITEMS   a returner keeps up to PT buffers (src: HOARD_ITEMS)
 *  -DROOM_RACE     take_room as a load and a store instead of a CAS
 *  -DVACANT_EARLY  pop_batch frees the magazine before reading its cells
 *  -DHALF_GIVEBACK a get gives free places back only above B, down to B / 2
 *                  (the give-back step before the spare rule)
 */
#ifndef COUNT
#define COUNT 2
#endif
#ifndef PT
#define PT 2                 /* per_thread */
#endif
#ifndef OPS
#define OPS 3                /* gets by G (and by M) */
#endif
#define B ((PT + 1) / 2)     /* TlsConfig::batch */
#define S ((B + 1) / 2)      /* Front::spare */
#define NMAG (COUNT / B + COUNT)  /* depot magazines: count / batch + min(count, 16) */
#ifdef MIXED
#define NT 3
#else
#define NT 2
#endif
#define G 0
#define R 1
#define M 2
#define MAXB (COUNT + OPS * (NT - 1))   /* pre-allocated + one per miss */

#define UNMADE 0
#define LOOSE 1
#define MAG 2
#define CHAN 3
#define GONE 4
#define CACHE(t) (5 + (t))
#define OUT(t) (5 + NT + (t))

byte loc[MAXB];
byte made = COUNT;           /* ids below this exist */
byte loose[MAXB]; byte nloose = 0;
byte cell[NMAG * B]; byte mlen[NMAG];
byte fstk[NMAG]; byte nloaded = 0;
byte vstk[NMAG]; byte nvac = 0;
byte room = 0;
byte pipe[OPS]; byte npipe = 0; byte chead = 0;
bit gdone = 0;
byte refused = 0;            /* ghost: returns refused (PoolFull) */

/* one thread's cache (owner only), and ghosts */
byte items[NT * PT]; short n[NT]; short places[NT];
byte claimsz[NT]; bit gotsince[NT];
short tr[NT];
bit flushed[NT];

short pooled = COUNT;        /* ghost: buffers in a cache, the depot or the loose list */

/* ghost: pooled buffers, counted from the locations (for quiescence) */
inline count_pooled(p) {
  p = 0; i = 0;
  do
  :: i < MAXB -> if :: loc[i] == LOOSE || loc[i] == MAG || loc[i] >= CACHE(0) && loc[i] < OUT(0) -> p++ :: else fi; i++
  :: else -> break
  od
}

inline give_room(k) {
  /*@ cache.rs give_room: `self.room.fetch_add(n, Relaxed)` */
  atomic { room = room + k; tr[me] = tr[me] - k }
}

/* The no-spurious-full rule, at the step that finds `room` empty: every
 * free place is in another cache (at most B each) or in a thread's hands. */
inline check_full() {
  if
  :: now == 0 ->
     assert(places[me] == n[me]);
     k = 0; j = 0;
     do
     :: j < NT -> if :: j != me -> k = k + S + tr[j] :: else fi; j++
     :: else -> break
     od;
     assert(COUNT - pooled <= k)          /* no spurious PoolFull */
  :: else
  fi
}

/* Front::take_room(want); result in got; the places land in `places`. */
inline take_room(want) {
  /*@ cache.rs take_room: `self.room.load(Relaxed)` */
  atomic { now = room; check_full() };
  do
  :: now == 0 -> got = 0; break
  :: else ->
     take = (now < want -> now : want);
#ifdef ROOM_RACE
     /*@ (mutant) take_room: `self.room.store(now - take)` after the load */
     atomic { room = now - take; places[me] = places[me] + take };
     got = take; break
#else
     /*@ cache.rs take_room: `compare_exchange_weak(now, now - take, Relaxed, Relaxed)` */
     atomic {
       if
       :: room == now -> room = now - take; places[me] = places[me] + take; got = take
       :: else -> now = room; got = 255; check_full()
       fi
     };
     if :: got != 255 -> break :: else fi
#endif
  od
}

/* Depot::push_batch(from, cnt): the bottom cnt (<= B) items of the cache,
 * with their places; past the vacant magazines, the loose list. */
inline push_batch(cnt) {
  /*@ depot.rs push_batch: `self.vacant.pop()` (IndexStack) */
  atomic { if :: nvac > 0 -> nvac--; m = vstk[nvac]; ok = 1 :: else -> ok = 0 fi };
  if
  :: ok ->
     /*@ depot.rs push_batch: cell writes, `from.drain(..n)` (owner only) */
     d_step {
       j = 0;
       do
       :: j < cnt -> cell[m * B + j] = items[me * PT + j]; loc[items[me * PT + j]] = MAG; j++
       :: else -> break
       od;
       mlen[m] = cnt;
       j = 0;
       do
       :: j + cnt < n[me] -> items[me * PT + j] = items[me * PT + j + cnt]; j++
       :: else -> break
       od;
       n[me] = n[me] - cnt; places[me] = places[me] - cnt
     };
     /*@ depot.rs push_batch: `self.full.push(m)` (Release CAS, "tagged.push.cas") */
     atomic { fstk[nloaded] = m; nloaded++ }
  :: else ->
     /* no vacant magazine: cache.rs push_loose, one buffer at a time */
     j = 0;
     do
     :: j < cnt ->
        /*@ cache.rs push_loose: `loose.push(value)` */
        atomic {
          loose[nloose] = items[me * PT]; loc[items[me * PT]] = LOOSE; nloose++;
          k = 0;
          do :: k + 1 < n[me] -> items[me * PT + k] = items[me * PT + k + 1]; k++ :: else -> break od;
          n[me]--; places[me]--
        };
        j++
     :: else -> break
     od
  fi
}

/* Depot::pop_batch into the (empty) cache; ok = whether one was popped. */
inline pop_batch() {
  /*@ depot.rs pop_batch: `self.full.pop()` (Acquire, "tagged.pop.load") */
  atomic { if :: nloaded > 0 -> nloaded--; m = fstk[nloaded]; ok = 1 :: else -> ok = 0 fi };
  if
  :: ok ->
#ifdef VACANT_EARLY
     /*@ (mutant) pop_batch: `self.vacant.push(m)` before the cells are read */
     atomic { vstk[nvac] = m; nvac++ };
#endif
     /*@ depot.rs pop_batch: cell reads `assume_init_read()` (owner of m only) */
     j = 0;
     do
     :: j < mlen[m] ->
        atomic {
          b = cell[m * B + j];
          assert(loc[b] == MAG);          /* no double hand-out */
          loc[b] = CACHE(me); items[me * PT + n[me]] = b; n[me]++; places[me]++
        };
        j++
     :: else -> break
     od;
#ifndef VACANT_EARLY
     /*@ depot.rs pop_batch: `self.vacant.push(m)` (Release CAS) */
     atomic { vstk[nvac] = m; nvac++ }
#endif
  :: else -> skip
  fi
}

/* Front::get -> the buffer in b, now held by me. The code's hot-path
 * test is `n <= gate`, gate = max(low, in_use + n - peak): it also goes
 * cold for a get that could set a new peak of the statistics, and such a
 * trip (n above low, so neither a refill nor a give-back) moves no place
 * and no buffer, so only the `n <= low` trips are modelled. */
inline get() {
  if
  :: n[me] <= (places[me] > S -> places[me] - S : 0) ->
     /* get_cold */
     if
     :: n[me] == 0 ->
        /* refill_or_miss */
#ifndef HOARD_PLACES
        if
        :: places[me] > 0 -> atomic { tr[me] = tr[me] + places[me]; places[me] = 0 }; give_room(tr[me])
        :: else
        fi;
#endif
        pop_batch();
        if
        :: ok ->
           if
           :: places[me] > PT -> atomic { tr[me] = places[me] - PT; places[me] = PT }; give_room(tr[me])
           :: else
           fi
        :: else ->
           /*@ cache.rs refill_or_miss: `loose.pop()` */
           atomic {
             if
             :: nloose > 0 -> nloose--; b = loose[nloose]; assert(loc[b] == LOOSE);  /* no double hand-out */
#ifdef HOARD_PLACES
                /* the place stays in the cache, free once `get` pops b */
                loc[b] = CACHE(me); items[me * PT + n[me]] = b; n[me]++; places[me]++; ok = 1
#else
                /* `get` pushes and pops b at once (owner only, merged into
                 * this step); its place is in our hands until give_room */
                loc[b] = OUT(me); gotsince[me] = 1; pooled--; tr[me]++; ok = 1
#endif
             :: else ->
                /* a miss: a fresh buffer, which holds no place; `get` pushes
                 * and pops it at once (owner only, merged into this step) */
                assert(n[me] == 0 && nloose == 0);  /* a miss only when nothing is loose or ours */
                b = made; made++; loc[b] = OUT(me); gotsince[me] = 1; ok = 0
             fi
           };
           if
           :: ok ->
#ifndef HOARD_PLACES
              give_room(1); goto missed
#else
              if
              :: places[me] > PT -> atomic { tr[me] = places[me] - PT; places[me] = PT }; give_room(tr[me])
              :: else
              fi
#endif
           :: else -> goto missed
           fi
        fi
     :: else
     fi;
#ifndef HOARD_PLACES
     /* free places once the top buffer is popped: more than S go back */
#ifdef HALF_GIVEBACK
     if
     :: places[me] - (n[me] - 1) > B ->
        atomic { tr[me] = places[me] - (n[me] - 1) - B / 2; places[me] = places[me] - tr[me] };
        give_room(tr[me])
     :: else
     fi
#else
     if
     :: places[me] - (n[me] - 1) > S ->
        atomic { tr[me] = places[me] - (n[me] - 1); places[me] = places[me] - tr[me] };
        give_room(tr[me])
     :: else
     fi
#endif
#endif
  :: else
  fi;
  /*@ cache.rs get: `l.items.pop()` (owner only) */
  atomic {
    n[me]--; b = items[me * PT + n[me]];
    assert(loc[b] == CACHE(me));          /* no double hand-out */
    loc[b] = OUT(me); gotsince[me] = 1; pooled--
  };
missed:   /* a miss or a single loose buffer: b is ours already */
  skip
}

/* Front::give_back(b); b is held by me. */
inline give_back() {
  if
  :: n[me] < places[me] ->
     /*@ cache.rs give_back: `push_within_capacity(&mut l.items, buffer)` */
     atomic { loc[b] = CACHE(me); items[me * PT + n[me]] = b; n[me]++; pooled++ }
  :: else ->
     /* make_place */
#ifdef HOARD_ITEMS
     if :: n[me] >= PT -> push_batch(B) :: else fi;
#else
     if :: n[me] >= B -> push_batch(B) :: else fi;
#endif
     claimsz[me] = (gotsince[me] -> 1 : (claimsz[me] * 2 > S -> S : (claimsz[me] == 0 -> 1 : claimsz[me] * 2)));
     gotsince[me] = 0;
     want = claimsz[me];
     if :: want > B - places[me] % B -> want = B - places[me] % B :: else fi;
     if :: want > PT - places[me] -> want = PT - places[me] :: else fi;
     take_room(want);
     if
     :: got == 0 ->
        /* PoolFull (the rule was checked at the load that found room empty) */
        atomic { loc[b] = GONE; refused++ }
     :: else ->
        /*@ cache.rs give_back: `push_within_capacity` after make_place's grant */
        atomic { loc[b] = CACHE(me); items[me * PT + n[me]] = b; n[me]++; pooled++ }
     fi
  fi
}

/* Front::flush (thread exit): bottom batches (the top one partial) to the
 * depot, past its vacant magazines to the loose list; free places to room. */
inline flush() {
  do
  :: n[me] > 0 -> c = (n[me] < B -> n[me] : B); push_batch(c)
  :: else -> break
  od;
  if
  :: places[me] > 0 -> atomic { tr[me] = places[me]; places[me] = 0 }; give_room(tr[me])
  :: else
  fi;
  flushed[me] = 1
}

#define LOCALS byte b, m, j, k, c, now, take, want, got, p, i, ops; bit ok

proctype Getter() {
  byte me = G; LOCALS;
  do
  :: ops < OPS ->
     get();
     /* hand-off: the buffer goes to the returner */
     atomic { loc[b] = CHAN; pipe[(chead + npipe) % OPS] = b; npipe++ };
     ops++
  :: else -> break
  od;
  gdone = 1;
  flush()
}

proctype Returner() {
  byte me = R; LOCALS;
  do
  :: atomic { npipe > 0 -> b = pipe[chead]; chead = (chead + 1) % OPS; npipe--; loc[b] = OUT(me) };
     give_back()
  :: atomic { npipe == 0 && gdone -> break }
  od;
  flush()
}

#ifdef MIXED
/* Gets and returns its own buffers in any order. */
proctype Mixed() {
  byte me = M; LOCALS; byte h0 = 255, h1 = 255;
  do
  :: ops < OPS && (h0 == 255 || h1 == 255) ->
     get(); if :: h0 == 255 -> h0 = b :: else -> h1 = b fi; ops++
  :: h0 != 255 -> b = h0; h0 = 255; give_back()
  :: h1 != 255 -> b = h1; h1 = 255; give_back()
  :: ops == OPS && h0 == 255 && h1 == 255 -> break
  od;
  flush()
}
#endif

#ifdef MIXED
#define FREE_SUM (room + places[0] - n[0] + tr[0] + places[1] - n[1] + tr[1] + places[2] - n[2] + tr[2])
#define NO_HOARD (places[0] - n[0] <= S && places[1] - n[1] <= S && places[2] - n[2] <= S)
#define SLACK 1
#else
#define FREE_SUM (room + places[0] - n[0] + tr[0] + places[1] - n[1] + tr[1])
#define NO_HOARD (places[0] - n[0] <= S && places[1] - n[1] <= S)
#define SLACK (refused <= S + made - COUNT)
#endif

/* The invariants, checked in every reachable state: the guard becomes
 * executable in the first state that breaks one. */
active proctype Monitor() {
end:
  atomic {
    !(FREE_SUM + pooled == COUNT && pooled <= COUNT && NO_HOARD && n[R] <= B && SLACK) ->
    assert(FREE_SUM + pooled == COUNT);   /* conservation */
    assert(pooled <= COUNT);              /* bound */
    assert(NO_HOARD);                     /* at most S free places per cache */
    assert(n[R] <= B);                    /* a returner holds at most a batch */
    assert(SLACK)                         /* hand-off: at most S refusals per run */
  }
}

init {
  byte i, p, k;
  atomic {
    i = 0;
    do
    :: i < COUNT -> loc[i] = LOOSE; loose[nloose] = i; nloose++; i++
    :: else -> break
    od;
    i = 0;
    do
    :: i < NMAG -> vstk[nvac] = NMAG - 1 - i; nvac++; i++
    :: else -> break
    od;
    run Getter(); run Returner()
#ifdef MIXED
    ; run Mixed()
#endif
  };
  /* quiescence: every thread has flushed */
  (flushed[G] && flushed[R]
#ifdef MIXED
   && flushed[M]
#endif
  );
  atomic {
    count_pooled(p);
    assert(p == pooled);
    assert(room + p == COUNT);            /* every place back */
    i = 0; k = 0;
    do
    :: i < nloaded -> k = k + mlen[fstk[i]]; i++
    :: else -> break
    od;
    assert(p == nloose + k);              /* every pooled buffer on a shared list */
    i = 0;
    do
    :: i < made -> assert(loc[i] == LOOSE || loc[i] == MAG || loc[i] == GONE); i++
    :: else -> break
    od
  }
}
