import type { Random } from './prng.ts';

export type Sentiment = 'positive' | 'neutral' | 'negative';
export const languages = ['en', 'es', 'fr', 'de', 'pt'] as const;
export type Language = (typeof languages)[number];

/** Openers, bodies and closers per language and sentiment, combined into varied comments. */
const phrases: Record<Language, Record<Sentiment, [string[], string[], string[]]>> = {
  en: {
    positive: [
      ['Love this!', 'This is brilliant.', 'So helpful,', 'Great post!', 'Wow,'],
      [
        'exactly what our team needed',
        'the dashboard looks amazing',
        'saved me hours this week',
        'best explanation of attribution I have read',
        'the new report export is so smooth',
      ],
      ['🔥', 'thank you!', '👏👏', 'keep it up', 'sharing with my team'],
    ],
    neutral: [
      ['Quick question:', 'Interesting.', 'Hmm,', 'Curious —', 'FYI'],
      [
        'does this work with HubSpot?',
        'is there an API for this',
        'how is engagement rate calculated here',
        'when will this be available in the EU region',
        'what is the pricing for teams',
      ],
      ['?', 'thanks', '', 'any docs?', 'cc @ops'],
    ],
    negative: [
      ['Not impressed.', 'Honestly,', 'Meh,', 'Disappointed:', 'Ugh,'],
      [
        'the export keeps timing out',
        'numbers do not match our CRM',
        'the app is slow on mobile',
        'support never answered my ticket',
        'this broke our weekly report',
      ],
      ['😞', 'please fix', 'again.', 'considering alternatives', '👎'],
    ],
  },
  es: {
    positive: [
      ['¡Me encanta!', 'Genial,', '¡Qué bueno!', 'Excelente,', 'Increíble,'],
      [
        'justo lo que necesitábamos',
        'el panel se ve espectacular',
        'me ahorró horas de trabajo',
        'la mejor explicación que he leído',
        'los informes son muy claros',
      ],
      ['🔥', '¡gracias!', '👏', 'sigan así', 'lo comparto con mi equipo'],
    ],
    neutral: [
      ['Pregunta:', 'Interesante.', 'Una duda,', 'Hola,'],
      [
        '¿funciona con Pipedrive?',
        '¿hay una API para esto?',
        '¿cómo se calcula la tasa de interacción?',
        '¿cuándo llega a Latinoamérica?',
      ],
      ['?', 'gracias', '', 'saludos'],
    ],
    negative: [
      ['No me convence.', 'Sinceramente,', 'Qué decepción,', 'Otra vez'],
      [
        'la exportación falla siempre',
        'los números no cuadran',
        'la app va muy lenta',
        'nadie responde en soporte',
      ],
      ['😞', 'arréglenlo por favor', '👎', '...'],
    ],
  },
  fr: {
    positive: [
      ["J'adore !", 'Génial,', 'Super post !', 'Bravo,'],
      [
        "exactement ce qu'il nous fallait",
        'le tableau de bord est superbe',
        "ça m'a fait gagner des heures",
        'explication très claire',
      ],
      ['🔥', 'merci !', '👏', 'à partager'],
    ],
    neutral: [
      ['Question :', 'Intéressant.', 'Petite question,', 'Bonjour,'],
      [
        'est-ce compatible avec Salesforce ?',
        'y a-t-il une API ?',
        "comment calculez-vous le taux d'engagement ?",
        'quel est le tarif équipe ?',
      ],
      ['?', 'merci', '', 'bonne journée'],
    ],
    negative: [
      ['Bof.', 'Franchement,', 'Déçu :', 'Encore une fois,'],
      [
        "l'export plante tout le temps",
        'les chiffres ne correspondent pas',
        "l'appli est lente",
        'le support ne répond pas',
      ],
      ['😞', 'à corriger', '👎', '...'],
    ],
  },
  de: {
    positive: [
      ['Super!', 'Richtig gut,', 'Klasse Beitrag!', 'Wow,'],
      [
        'genau das hat unser Team gebraucht',
        'das Dashboard sieht toll aus',
        'spart mir Stunden pro Woche',
        'sehr verständlich erklärt',
      ],
      ['🔥', 'danke!', '👏', 'weiter so'],
    ],
    neutral: [
      ['Kurze Frage:', 'Interessant.', 'Hallo,', 'Frage am Rande:'],
      [
        'geht das auch mit HubSpot?',
        'gibt es dafür eine API?',
        'wie wird die Engagement-Rate berechnet?',
        'wann kommt das Feature?',
      ],
      ['?', 'danke', '', 'Grüße'],
    ],
    negative: [
      ['Enttäuschend.', 'Ehrlich gesagt,', 'Schon wieder', 'Leider'],
      [
        'bricht der Export ständig ab',
        'stimmen die Zahlen nicht',
        'ist die App sehr langsam',
        'antwortet der Support nicht',
      ],
      ['😞', 'bitte beheben', '👎', '...'],
    ],
  },
  pt: {
    positive: [
      ['Adorei!', 'Muito bom,', 'Que post incrível!', 'Top,'],
      [
        'exatamente o que precisávamos',
        'o painel ficou lindo',
        'me poupou horas de trabalho',
        'explicação muito clara',
      ],
      ['🔥', 'obrigado!', '👏', 'compartilhando com o time'],
    ],
    neutral: [
      ['Dúvida:', 'Interessante.', 'Olá,', 'Pergunta rápida,'],
      [
        'funciona com o Pipedrive?',
        'existe uma API?',
        'como é calculada a taxa de engajamento?',
        'quando chega ao Brasil?',
      ],
      ['?', 'valeu', '', 'abraços'],
    ],
    negative: [
      ['Não gostei.', 'Sinceramente,', 'Que decepção,', 'De novo'],
      ['a exportação sempre falha', 'os números não batem', 'o app está lento', 'o suporte não responde'],
      ['😞', 'corrijam por favor', '👎', '...'],
    ],
  },
};

export function commentText(random: Random, language: Language, sentiment: Sentiment): string {
  const [openers, bodies, closers] = phrases[language][sentiment];
  return `${random.pick(openers)} ${random.pick(bodies)} ${random.pick(closers)}`.trim();
}

const handles = [
  'maria',
  'jonas',
  'li',
  'sam',
  'ana',
  'lucas',
  'emma',
  'noah',
  'sofia',
  'yuki',
  'omar',
  'chloe',
  'diego',
  'nina',
  'ravi',
  'lea',
];
export function authorHandle(random: Random, id: number): string {
  return `@${random.pick(handles)}${id % 1000}`;
}
