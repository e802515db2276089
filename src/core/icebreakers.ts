/**
 * Conversation prompts for intros. Each group of a round gets its own prompt, one
 * none of its members got in their last rounds, chosen from the round's seed so a
 * replayed round gets the same prompts.
 */

/** Rounds of a member's own history in which a prompt they got is not given again. */
export const ICEBREAKER_MEMORY = 10;

/** Written for pairbot: open questions two or three people can answer in a first call. */
export const BUILT_IN_ICEBREAKERS: readonly string[] = [
  'What is something you learned in the last month that surprised you?',
  'What did you want to be when you were ten, and how close did you get?',
  'Which tool, app or gadget would you recommend to everyone you meet?',
  'What is a small thing that reliably makes your week better?',
  'What are you looking forward to in the next few weeks?',
  'Which book, podcast or video changed how you think about something?',
  'What is a skill you picked up outside work that you are proud of?',
  'What does a perfect day off look like for you?',
  'What is the best piece of advice anyone ever gave you?',
  'What problem are you chewing on right now? Maybe the other person has an idea.',
  'What is a place you have been that you would love to go back to?',
  'What is the most useful thing you have built, fixed or made with your hands?',
  'If you could instantly master one language (human or programming), which would it be?',
  'What is a hobby you have dropped and would like to pick up again?',
  'What is something about your home town that outsiders never believe?',
  'What was your first job, and what did it teach you?',
  'What is a food from your part of the world that everyone should try?',
  'What is the last thing you changed your mind about?',
  'Which community or team you were part of worked best, and why?',
  'What do you do when you need to think something through: walk, write, talk?',
  'What would you work on if you had a month free of obligations?',
  'What is a question you wish people asked you more often?',
  'What is the best thing that happened to you this week?',
  'What is an unpopular opinion you hold about your field?',
  'Which person you have never met has influenced you most?',
  'What is a habit you started recently, and is it sticking?',
  'What is the weirdest or most unexpected path that led you to where you are now?',
  'What is one thing on your desk (or in your bag) and what is its story?',
  'What would you like to get better at this year, and how could the other person help?',
  'What is a mistake you made that turned out well?',
  'Which season of the year suits you best, and why?',
  'What is a piece of music you keep coming back to?',
  'What did you do last weekend that you would happily do again?',
  'What part of your work would you explain to a curious ten-year-old, and how?',
  'What is something you are an unexpected expert in?',
  'What is a goal you reached that took longer than you expected?',
  'What is the best meal you have cooked or eaten recently?',
  'If you could swap jobs with anyone for a week, who would it be?',
  'What is a small act of kindness from a stranger you still remember?',
  'What is something you would like to teach someone, and something you would like to learn?',
  'What does your morning routine look like, and what would you change about it?',
  'Which project are you proudest of, and what made it work?',
  'What is a local spot near you that you would take a visitor to?',
  'What is a question you are curious about but have never looked up?',
];

/**
 * Prompts from a file's text: one a line; blank lines and lines starting with `#` are
 * skipped, control characters become spaces, and a repeated prompt counts once.
 */
export function parseIcebreakers(text: string): string[] {
  const out = new Set<string>();
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
    if (line && !line.startsWith('#')) out.add(line);
  }
  return [...out];
}

/** A prompt a member got, with when: a larger `order` is more recent (the group's id). */
export interface GivenPrompt {
  prompt: string;
  order: number;
}

export interface IcebreakerGroup {
  id: number;
  memberIds: readonly string[];
}

/**
 * One prompt per group, in the order given. `recent` holds, per member, the prompts of
 * their last ICEBREAKER_MEMORY groups; `taken` the prompts other groups of the round hold.
 * First rule: a prompt none of the group's members got recently, or with too few, the one
 * they got least recently. Among those, the prompt fewest groups of the round hold (so a
 * round spreads over a small file), then one at random. A prompt another group holds is
 * never traded for one a member got more recently: nobody sees another group's prompt,
 * but everybody remembers their own.
 */
export function chooseIcebreakers(
  prompts: readonly string[],
  groups: readonly IcebreakerGroup[],
  recent: ReadonlyMap<string, readonly GivenPrompt[]>,
  random: () => number,
  taken: Iterable<string> = [],
): Map<number, string> {
  const chosen = new Map<number, string>();
  if (prompts.length === 0) return chosen;
  const holders = new Map<string, number>();
  for (const p of taken) holders.set(p, (holders.get(p) ?? 0) + 1);
  for (const group of groups) {
    // When any member of the group last got each prompt (absent: not in their recent rounds).
    let lastGiven: Map<string, number> | undefined;
    for (const id of group.memberIds) {
      for (const g of recent.get(id) ?? []) {
        lastGiven ??= new Map();
        lastGiven.set(g.prompt, Math.max(lastGiven.get(g.prompt) ?? -Infinity, g.order));
      }
    }
    // One pass: the prompts given longest ago (or never), and of those the ones fewest groups
    // hold. Indexed: a round runs this for every group before the code is optimised, and an
    // unoptimised for-of allocates a result object per prompt.
    let oldest = Infinity;
    let fewest = Infinity;
    const pool: string[] = [];
    for (let i = 0; i < prompts.length; i++) {
      const p = prompts[i]!;
      const age = lastGiven?.get(p) ?? -Infinity;
      const held = holders.get(p) ?? 0;
      if (age < oldest || (age === oldest && held < fewest)) {
        oldest = age;
        fewest = held;
        pool.length = 0;
      }
      if (age === oldest && held === fewest) pool.push(p);
    }
    const pick = pool[Math.floor(random() * pool.length)]!;
    chosen.set(group.id, pick);
    holders.set(pick, fewest + 1);
  }
  return chosen;
}
