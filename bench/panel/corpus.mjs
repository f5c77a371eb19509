// Deterministic, realistic assistant answers in markdown (paragraphs, bullet and numbered
// lists, code fences, inline code, bold, links), split into deltas of 5–8 characters as a
// model streams them. Same seed, same text: every run and every variant gets identical input.

/** mulberry32: small, fast, deterministic. */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLACES = ['Makati', 'Quezon City', 'Cebu', 'Davao', 'Baguio', 'Iloilo', 'Tagaytay', 'Manila Bay'];
const WORDS = (
  'the forecast shows warm humid air over the coast with scattered showers in the afternoon ' +
  'and a light breeze from the southwest temperatures stay near the seasonal average while ' +
  'humidity remains high so it will feel hotter than the thermometer says consider carrying ' +
  'an umbrella and water if you plan to be outside around midday when the sun is strongest ' +
  'visibility is good in the morning clouds build after noon and clear again by evening'
).split(' ');
const CODE = [
  ['ts', ['const weather = await getWeather({ location: "Makati", units: "metric" });', 'if (weather.temperature > 30) {', '  console.log(`Hot: ${weather.temperature}°C`);', '}', 'export function feelsLike(t: number, h: number): number {', '  return t + 0.33 * (h / 100) * 6.105 - 4;', '}']],
  ['json', ['{', '  "location": "Makati, Metro Manila",', '  "temperature": 31.2,', '  "humidity": 70,', '  "condition": "Partly cloudy"', '}']],
  ['bash', ['curl -s "https://api.open-meteo.com/v1/forecast?latitude=14.55&longitude=121.02&current=temperature_2m"', 'jq .current.temperature_2m', 'echo "done"']],
  ['python', ['def heat_index(t, rh):', '    return -8.78 + 1.61 * t + 2.34 * rh - 0.146 * t * rh', 'print(round(heat_index(31.2, 70), 1))']],
];

function sentence(random) {
  const length = 8 + Math.floor(random() * 14);
  const words = [];
  for (let i = 0; i < length; i++) {
    let word = WORDS[Math.floor(random() * WORDS.length)];
    const roll = random();
    if (roll < 0.05) word = `\`${word}_${Math.floor(random() * 99)}\``;
    else if (roll < 0.08) word = `**${word}**`;
    else if (roll < 0.1) word = `*${word}*`;
    else if (roll < 0.11) word = `[${word}](https://open-meteo.com/en/docs)`;
    else if (roll < 0.14) word = `${(20 + random() * 15).toFixed(1)}°C`;
    words.push(word);
  }
  const text = words.join(' ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

function block(random, index) {
  const roll = random();
  if (index % 9 === 0) return `### ${PLACES[Math.floor(random() * PLACES.length)]}`;
  if (roll < 0.45) {
    const count = 2 + Math.floor(random() * 3);
    return Array.from({ length: count }, () => sentence(random)).join(' ');
  }
  if (roll < 0.62) {
    const count = 3 + Math.floor(random() * 3);
    return Array.from({ length: count }, () => `- ${sentence(random)}`).join('\n');
  }
  if (roll < 0.76) {
    const count = 3 + Math.floor(random() * 3);
    return Array.from({ length: count }, (_, i) => `${i + 1}. ${sentence(random)}`).join('\n');
  }
  if (roll < 0.9) {
    const [lang, lines] = CODE[Math.floor(random() * CODE.length)];
    return `\`\`\`${lang}\n${lines.join('\n')}\n\`\`\``;
  }
  return `> ${sentence(random)} ${sentence(random)}`;
}

/** Unique text that exists only once the last delta has arrived (it ends the answer). */
export const END_MARKER = 'EndOfAnswerQZX7';

/**
 * An answer of exactly `count` deltas, each 5–8 characters. The answer ends with
 * END_MARKER, so the last delta completes it.
 */
export function answerDeltas(count, seed = 7) {
  const random = seeded(seed);
  const tail = `\n\nThat is the whole forecast. ${END_MARKER}`;
  const target = Math.round(6.5 * count) - tail.length;
  const blocks = [];
  let length = 0;
  for (let i = 0; length < target; i++) {
    const next = block(random, i);
    blocks.push(next);
    length += next.length + 2;
  }
  const text = `${blocks.join('\n\n')}${tail}`;
  if (text.length < 5 * count || text.length > 8 * count) throw new Error(`corpus: ${text.length} characters cannot make ${count} deltas of 5–8`);
  // Every delta gets 5 characters, the rest is spread at random (at most 8 each).
  const sizes = new Array(count).fill(5);
  let spare = text.length - 5 * count;
  while (spare > 0) {
    const i = Math.floor(random() * count);
    if (sizes[i] < 8) {
      sizes[i]++;
      spare--;
    }
  }
  const deltas = [];
  let at = 0;
  for (const size of sizes) {
    deltas.push(text.slice(at, at + size));
    at += size;
  }
  return { text, deltas };
}

/** A short answer for channel traffic (the 100k-message check): `count` deltas. */
export function shortAnswer(random, count) {
  const parts = [];
  let text = '';
  while (text.length < count * 6.5) text += `${sentence(random)} `;
  for (let at = 0; parts.length < count && at < text.length; ) {
    const size = 5 + Math.floor(random() * 4);
    parts.push(text.slice(at, at + size));
    at += size;
  }
  return parts;
}
