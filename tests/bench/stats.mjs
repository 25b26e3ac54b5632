// Medians with their range, as every benchmark table prints them.
export const spread = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};
export const fmt = ({ median, min, max }, digits = 0) => `${median.toFixed(digits)} (${min.toFixed(digits)}-${max.toFixed(digits)})`;
