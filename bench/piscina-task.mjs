// The small task piscina runs in the pool benchmark.
export default function task(x) {
  return x * 2;
}
