// Torch tests share one native runtime, and these tests redirect the console.
[assembly: DoNotParallelize]
