//! Filtering allocates nothing per line: a scan with every filter on makes
//! as many allocations for ten times the lines. (Its own test binary: the
//! counting allocator is process-wide.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use logstats::enrich::zone::ReportZone;
use logstats::filter::{parse_glob, Filter, FilterSpec, IpList, MethodSet, StatusSet, TimeArg};
use logstats::parse::Format;
use logstats::scan::{scan_slice, ScanOptions};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// `n` vcombined lines that take turns among clients, agents, paths and
/// statuses, so that no cache holds the answer for the next line; all in
/// one second, so the time series adds no bucket either.
fn log(n: usize) -> Vec<u8> {
    let clients = [
        "10.0.0.1",
        "192.0.2.1, 10.0.0.2",
        "2001:db8::1",
        "proxy.example",
    ];
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "curl/8.0",
        "-",
    ];
    let paths = ["/blog/a", "/blog/x.php", "/about", "/blog/b?q=1"];
    let statuses = [200, 404, 304, 500, 201];
    let mut text = Vec::new();
    for i in 0..n {
        text.extend_from_slice(
            format!(
                "Example.com:443 {} - - [01/May/2024:10:00:00 +0000] \"GET {} HTTP/1.1\" {} 5 \"-\" \"{}\"\n",
                clients[i % clients.len()],
                paths[i % paths.len()],
                statuses[i % statuses.len()],
                agents[i % agents.len()],
            )
            .as_bytes(),
        );
    }
    text
}

#[test]
fn filtering_allocates_nothing_per_line() {
    let spec = FilterSpec {
        since: Some(TimeArg::parse("2024-05-01").unwrap()),
        until: Some(TimeArg::parse("2024-05-02T00:00+00:00").unwrap()),
        exclude_ip: IpList::parse("10.0.0.0/8").unwrap().0,
        include_path: vec![parse_glob("/blog/*").unwrap()],
        exclude_path: vec![parse_glob("*.php").unwrap()],
        hosts: vec!["example.com".into()],
        status: Some(StatusSet::parse("2xx,3xx,!304").unwrap()),
        method: Some(MethodSet::parse("GET,HEAD").unwrap()),
        no_bots: true,
    };
    let mut filter = Filter::compile(&spec, 1_714_600_000).unwrap().unwrap();
    filter.set_zone(&ReportZone::UTC);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let opts = ScanOptions {
        format: Format::VCombined,
        chunk_base: 0,
        visits: false,
        tallies: true,
        clients: false,
        metrics: false,
        goals: None,
        chunk_bytes: 1 << 30,
        strict: false,
        progress: None,
        filter: Some(&filter),
        days: None,
        line_ids: false,
        facts: None,
    };
    let allocations = |text: &[u8]| {
        pool.install(|| {
            let before = ALLOCATIONS.load(Ordering::Relaxed);
            let scanned = scan_slice(text, &opts);
            let after = ALLOCATIONS.load(Ordering::Relaxed);
            assert!(scanned.counts.kept > 0 && scanned.counts.filtered > scanned.counts.kept);
            after - before
        })
    };
    let (small, large) = (log(600), log(6000));
    // Once to warm up what is set up once per process.
    allocations(&small);
    let (a, b) = (allocations(&small), allocations(&large));
    assert_eq!(a, b, "{a} allocations for 600 lines, {b} for 6000");
}
