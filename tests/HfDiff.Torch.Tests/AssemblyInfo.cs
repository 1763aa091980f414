// Torch tests share one native runtime; a parallel run once crashed the test host.
[assembly: DoNotParallelize]
