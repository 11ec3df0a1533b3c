const en = {
  open: 'Open chat',
  close: 'Close chat',
  title: 'Chat',
  end: 'End conversation',
  messageLabel: 'Your message',
  placeholder: 'Type a message…',
  send: 'Send',
  attach: 'Attach a file',
  removeFile: 'Remove attachment',
  uploading: 'Uploading…',
  you: 'You',
  agent: 'Assistant',
  typing: 'The assistant is typing…',
  error: 'Something went wrong. Please try again.',
  rateLimited: 'Too many messages. Please wait a moment.',
  tooLarge: 'That file is too large (25 MB max).',
  unsupported: 'That file type is not supported.',
  failed: 'The reply failed. Please try again.',
  ended: 'This conversation has ended.',
  npsQuestion: 'How likely are you to recommend us to a friend or colleague?',
  npsLow: 'Not likely',
  npsHigh: 'Very likely',
  comment: 'Comment (optional)',
  submit: 'Send feedback',
  thanks: 'Thank you for your feedback!',
  restart: 'Start a new conversation',
  file: 'file',
  download: 'Download',
  unavailable: 'This assistant is not available right now.',
};

export type Texts = typeof en;

const ptBR: Texts = {
  open: 'Abrir chat',
  close: 'Fechar chat',
  title: 'Chat',
  end: 'Encerrar conversa',
  messageLabel: 'Sua mensagem',
  placeholder: 'Digite uma mensagem…',
  send: 'Enviar',
  attach: 'Anexar um arquivo',
  removeFile: 'Remover anexo',
  uploading: 'Enviando…',
  you: 'Você',
  agent: 'Assistente',
  typing: 'O assistente está digitando…',
  error: 'Algo deu errado. Tente novamente.',
  rateLimited: 'Muitas mensagens. Aguarde um momento.',
  tooLarge: 'Esse arquivo é grande demais (máximo 25 MB).',
  unsupported: 'Esse tipo de arquivo não é aceito.',
  failed: 'A resposta falhou. Tente novamente.',
  ended: 'Esta conversa foi encerrada.',
  npsQuestion: 'Qual a probabilidade de você nos recomendar a um amigo ou colega?',
  npsLow: 'Pouco provável',
  npsHigh: 'Muito provável',
  comment: 'Comentário (opcional)',
  submit: 'Enviar avaliação',
  thanks: 'Obrigado pela sua avaliação!',
  restart: 'Começar uma nova conversa',
  file: 'arquivo',
  download: 'Baixar',
  unavailable: 'Este assistente não está disponível no momento.',
};

/** pt-BR for any Portuguese page (`pt`, `pt-BR`, `pt-PT`), English otherwise. */
export function pickLang(tag: string | null | undefined): 'pt-BR' | 'en' {
  return (tag ?? '').toLowerCase().startsWith('pt') ? 'pt-BR' : 'en';
}

export function textsFor(lang: 'pt-BR' | 'en'): Texts {
  return lang === 'pt-BR' ? ptBR : en;
}
